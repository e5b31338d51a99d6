/* Posko's camera scanner for seal numbers and box labels (QR and Code 128).
 *
 * Loaded by templates/core/scan_script.html, whose <script> tag carries the texts (in
 * the user's language) and the URL of the vendored decoder as data-* attributes. Every
 *   <input|textarea data-scan="qr_code code_128" [data-scan-append]>
 * gets a "Scan" button beside it. The button opens the rear camera (getUserMedia) and reads
 * frames with the browser's BarcodeDetector where it supports the formats, otherwise with
 * the vendored ZXing library, which is loaded only then (it is ~100 KB gzipped: pages that
 * never scan never load it). The text read fills the input (data-scan-append: adds a line,
 * or ", " in a one-line input, unless it is already there); typing stays possible. Camera
 * refused or missing: a clear message, and the input stays usable.
 *
 * window.PoskoScan.decode(source, {fallback: true}) reads one <img>, <canvas> or <video>
 * (the browser tests feed it generated labels); PoskoScan.enhance(element) adds the buttons
 * to inputs drawn later by another script (htmx swaps are handled already).
 * No inline script or handler anywhere (CSP): everything is attached here.
 */
(function () {
  "use strict";
  var script = document.currentScript;
  var conf = (script && script.dataset) || {};
  var ZXING_NAMES = { qr_code: "QR_CODE", code_128: "CODE_128" };
  var MAX_SIDE = 960; // frames are scaled down to this before decoding (cheap phones)
  var zxingLoading = null;

  function text(key, fallback) { return conf[key] || fallback; }

  function formatsOf(input) {
    var wanted = ((input && input.getAttribute("data-scan")) || "qr_code code_128").split(/\s+/);
    return wanted.filter(function (name) { return ZXING_NAMES[name]; });
  }

  function loadZxing() {
    if (window.ZXing) { return Promise.resolve(window.ZXing); }
    if (!zxingLoading) {
      zxingLoading = new Promise(function (resolve, reject) {
        var tag = document.createElement("script");
        tag.src = conf.decoder;
        tag.async = true;
        tag.addEventListener("load", function () {
          if (window.ZXing) { resolve(window.ZXing); } else { reject(new Error("decoder")); }
        });
        tag.addEventListener("error", function () {
          zxingLoading = null;
          var error = new Error("decoder");
          error.name = "DecoderError";
          reject(error);
        });
        document.head.appendChild(tag);
      });
    }
    return zxingLoading;
  }

  function sizeOf(source) {
    return [source.videoWidth || source.naturalWidth || source.width || 0,
            source.videoHeight || source.naturalHeight || source.height || 0];
  }

  function nativeDetector(formats) {
    if (!("BarcodeDetector" in window)) { return Promise.resolve(null); }
    return window.BarcodeDetector.getSupportedFormats().then(function (supported) {
      var missing = formats.filter(function (f) { return supported.indexOf(f) < 0; });
      if (missing.length) { return null; }
      var detector = new window.BarcodeDetector({ formats: formats });
      return function (source) {
        return detector.detect(source).then(function (found) {
          return found.length ? found[0].rawValue : null;
        });
      };
    }).catch(function () { return null; });
  }

  function zxingDetector(formats) {
    return loadZxing().then(function (ZXing) {
      var hints = new Map();
      hints.set(ZXing.DecodeHintType.POSSIBLE_FORMATS, formats.map(function (f) {
        return ZXing.BarcodeFormat[ZXING_NAMES[f]];
      }));
      hints.set(ZXing.DecodeHintType.TRY_HARDER, true);
      var reader = new ZXing.MultiFormatReader();
      reader.setHints(hints);
      var canvas = document.createElement("canvas");
      var context = canvas.getContext("2d", { willReadFrequently: true });
      function attempt(source, size, scale, Binarizer) {
        canvas.width = Math.round(size[0] * scale);
        canvas.height = Math.round(size[1] * scale);
        context.drawImage(source, 0, 0, canvas.width, canvas.height);
        try {
          var luminance = new ZXing.HTMLCanvasElementLuminanceSource(canvas);
          var bitmap = new ZXing.BinaryBitmap(new (Binarizer || ZXing.HybridBinarizer)(luminance));
          return reader.decodeWithState(bitmap).getText();
        } catch (notFound) {
          return null;
        } finally {
          reader.reset();
        }
      }
      return function (source) {
        var size = sizeOf(source);
        if (!size[0] || !size[1]) { return Promise.resolve(null); }
        var scale = Math.min(1, MAX_SIDE / Math.max(size[0], size[1]));
        // ZXing misses some codes at one size and reads them at another, or with one
        // binarizer and not the other: a second look at two thirds of the size and a third
        // with the global-histogram binarizer (each fast) before giving up on this frame.
        var found = attempt(source, size, scale);
        if (!found && Math.min(size[0], size[1]) * scale >= 180) {
          found = attempt(source, size, scale * 2 / 3);
        }
        if (!found) {
          found = attempt(source, size, scale, ZXing.GlobalHistogramBinarizer);
        }
        if (!found && Math.min(size[0], size[1]) * scale >= 120) {
          found = attempt(source, size, scale / 2);  // and a last one at half the size
        }
        return Promise.resolve(found);
      };
    });
  }

  /* A function frame -> Promise(text or null): native detection first, ZXing otherwise. */
  function makeDetector(formats, options) {
    if (options && options.fallback) { return zxingDetector(formats); }
    return nativeDetector(formats).then(function (detect) {
      return detect || zxingDetector(formats);
    });
  }

  function fill(input, value) {
    value = String(value).trim();
    if (!value) { return; }
    if (input.hasAttribute("data-scan-append") && input.value.trim()) {
      var present = input.value.split(/[\s,;]+/).filter(Boolean);
      if (present.indexOf(value) < 0) {
        var separator = input.tagName === "TEXTAREA" ? "\n" : ", ";
        input.value = input.value.replace(/[\s,;]+$/, "") + separator + value;
      }
    } else {
      input.value = value;
    }
    input.dispatchEvent(new Event("input", { bubbles: true }));
    input.dispatchEvent(new Event("change", { bubbles: true }));
  }

  function openScanner(input) {
    var overlay = document.createElement("div");
    overlay.className = "scan-overlay";
    overlay.setAttribute("role", "dialog");
    overlay.setAttribute("aria-modal", "true");
    overlay.setAttribute("aria-label", text("title", "Scan"));
    overlay.setAttribute("data-testid", "scan-overlay");
    var message = document.createElement("p");
    message.className = "scan-message";
    message.setAttribute("role", "status");
    message.textContent = text("loading", "…");
    var video = document.createElement("video");
    video.setAttribute("playsinline", "");
    video.muted = true;
    var close = document.createElement("button");
    close.type = "button";
    close.className = "button";
    close.textContent = text("close", "Close");
    overlay.appendChild(video);
    overlay.appendChild(message);
    overlay.appendChild(close);
    document.body.appendChild(overlay);
    close.focus();

    var stopped = false;
    var stream = null;
    var timer = null;

    function release() {
      if (stream) { stream.getTracks().forEach(function (track) { track.stop(); }); }
      stream = null;
    }
    function stop() {
      stopped = true;
      clearTimeout(timer);
      release();
      document.removeEventListener("keydown", onKey);
      overlay.remove();
      input.focus();
    }
    function fail(key, fallback) {
      release();
      video.hidden = true;
      message.classList.add("error");
      message.setAttribute("role", "alert");
      message.setAttribute("data-testid", "scan-error");
      message.textContent = text(key, fallback);
    }
    function onKey(event) { if (event.key === "Escape") { stop(); } }
    close.addEventListener("click", stop);
    document.addEventListener("keydown", onKey);

    var media = navigator.mediaDevices;
    if (!media || typeof media.getUserMedia !== "function") {
      fail("unavailable", "No camera.");
      return;
    }
    media.getUserMedia({ video: { facingMode: { ideal: "environment" } }, audio: false })
      .then(function (opened) {
        if (stopped) { opened.getTracks().forEach(function (t) { t.stop(); }); return null; }
        stream = opened;
        video.srcObject = opened;
        return Promise.all([video.play(), makeDetector(formatsOf(input))]);
      })
      .then(function (ready) {
        if (!ready || stopped) { return; }
        var detect = ready[1];
        message.textContent = text("hint", "");
        (function tick() {
          if (stopped) { return; }
          detect(video).then(function (value) {
            if (stopped) { return; }
            if (value) { fill(input, value); stop(); } else { timer = setTimeout(tick, 150); }
          }, function () { timer = setTimeout(tick, 400); });
        })();
      })
      .catch(function (error) {
        if (stopped) { return; }
        var name = error && error.name;
        if (name === "NotAllowedError" || name === "SecurityError" || name === "PermissionDeniedError") {
          fail("denied", "Camera refused.");
        } else if (name === "DecoderError") {
          fail("failed", "No decoder.");
        } else {
          fail("unavailable", "No camera.");
        }
      });
  }

  function enhance(root) {
    var inputs = (root || document).querySelectorAll("[data-scan]:not([data-scan-ready])");
    Array.prototype.forEach.call(inputs, function (input) {
      input.setAttribute("data-scan-ready", "");
      var row = document.createElement("span");
      row.className = "scan-row";
      input.parentNode.insertBefore(row, input);
      row.appendChild(input);
      var button = document.createElement("button");
      button.type = "button";
      button.className = "button scan-button";
      button.textContent = text("label", "Scan");
      button.setAttribute("data-testid", "scan-" + (input.name || input.id));
      button.addEventListener("click", function () { openScanner(input); });
      row.appendChild(button);
    });
  }

  window.PoskoScan = {
    decode: function (source, options) {
      return makeDetector(formatsOf(null), options || {}).then(function (detect) {
        return detect(source);
      });
    },
    enhance: enhance, // for content drawn by other scripts (the field app's forms)
    fill: fill,
    open: openScanner,
  };
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", function () { enhance(document); });
  } else {
    enhance(document);
  }
  document.addEventListener("htmx:load", function (event) { enhance(event.target); });
})();
