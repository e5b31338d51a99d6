/* Posko logistics map: TPS points by readiness state (Leaflet + markercluster, vendored).
 * The configuration comes from the page (#map-config); the points from map_data as
 * [[tps_id, lat, lon, state_index, percent], ...]. Works without a tile server: the
 * points are drawn on a plain background with a scale, and the view fits the points. */
(function () {
  "use strict";

  var configElement = document.getElementById("map-config");
  var mapElement = document.getElementById("map");
  if (!configElement || !mapElement || !window.L) { return; }
  var config = JSON.parse(configElement.textContent);
  var statusElement = document.getElementById("map-status");
  var form = document.getElementById("map-filters");
  var states = config.states;

  function say(text) { if (statusElement) { statusElement.textContent = text; } }

  // --- shapes: a different one per state, so colour is never the only cue -------------------
  function shapeSvg(state, size) {
    var s = size, h = s / 2, fill = state.colour, inner;
    if (state.shape === "circle") {
      inner = '<circle cx="' + h + '" cy="' + h + '" r="' + (h - 2) + '" fill="' + fill + '" stroke="#fff" stroke-width="2"/>';
    } else if (state.shape === "triangle") {
      inner = '<polygon points="' + h + ',1 ' + (s - 1) + ',' + (s - 2) + ' 1,' + (s - 2) + '" fill="' + fill + '" stroke="#5c3d00" stroke-width="1.5"/>';
    } else if (state.shape === "square") {
      inner = '<rect x="3" y="3" width="' + (s - 6) + '" height="' + (s - 6) + '" fill="#fff" stroke="' + fill + '" stroke-width="3"/>';
    } else {
      inner = '<polygon points="' + h + ',1 ' + (s - 1) + ',' + h + ' ' + h + ',' + (s - 1) + ' 1,' + h + '" fill="' + fill + '" stroke="#fff" stroke-width="1.5"/>' +
        '<text x="' + h + '" y="' + (h + 4) + '" text-anchor="middle" font-size="11" font-weight="700" fill="#fff" font-family="sans-serif">!</text>';
    }
    return '<svg xmlns="http://www.w3.org/2000/svg" width="' + s + '" height="' + s + '" viewBox="0 0 ' + s + ' ' + s + '" aria-hidden="true">' + inner + "</svg>";
  }

  var icons = states.map(function (state) {
    return L.divIcon({ className: "tps-marker tps-" + state.code, html: shapeSvg(state, 22),
                       iconSize: [22, 22], iconAnchor: [11, 11], popupAnchor: [0, -10] });
  });

  // --- map --------------------------------------------------------------------------------
  var map = L.map(mapElement, { zoomControl: true, preferCanvas: false, maxZoom: 19 });
  map.attributionControl.setPrefix("Leaflet");
  if (config.tileUrl) {
    L.tileLayer(config.tileUrl, { attribution: config.tileAttribution, maxZoom: 19 }).addTo(map);
  } else {
    mapElement.classList.add("no-tiles");
  }
  L.control.scale({ imperial: false }).addTo(map);
  map.setView([-2.5, 118], 5);  // Indonesia, until the points arrive
  // approximate kelurahan areas under the points (base-layer.js)
  var baseLayer = window.PoskoBaseLayer ? window.PoskoBaseLayer.add(map, mapElement)
    : Promise.resolve(null);

  var worstOrder = ["bermasalah", "belum", "kurang", "lengkap"];
  var problemIndex = states.findIndex(function (s) { return s.code === "bermasalah"; });

  var clusters = L.markerClusterGroup({
    chunkedLoading: true, showCoverageOnHover: false, maxClusterRadius: 45,
    disableClusteringAtZoom: 17, spiderfyOnMaxZoom: true,
    iconCreateFunction: function (cluster) {
      var children = cluster.getAllChildMarkers(), counts = states.map(function () { return 0; });
      for (var i = 0; i < children.length; i++) { counts[children[i].options.stateIndex] += 1; }
      var worst = "lengkap";
      for (var w = 0; w < worstOrder.length; w++) {
        var index = states.findIndex(function (s) { return s.code === worstOrder[w]; });
        if (index >= 0 && counts[index]) { worst = worstOrder[w]; break; }
      }
      var problems = problemIndex >= 0 ? counts[problemIndex] : 0;
      var size = children.length < 100 ? 36 : children.length < 1000 ? 44 : 52;
      var html = "<div>" + children.length + "</div>" + (problems ? "<b>!" + problems + "</b>" : "");
      return L.divIcon({ html: html, className: "tps-cluster worst-" + worst,
                         iconSize: [size, size] });
    }
  });
  map.addLayer(clusters);

  // --- popup: the TPS's items, fetched when opened ------------------------------------------
  var tpsUrl = config.tpsUrl.replace(/0\/$/, "");
  function escapeText(text) {
    var div = document.createElement("div");
    div.textContent = text;
    return div.innerHTML;
  }
  clusters.on("click", function (event) {
    var marker = event.layer, id = marker.options.tpsId;
    var popup = L.popup({ maxWidth: 320, minWidth: 220 }).setLatLng(marker.getLatLng())
      .setContent(escapeText(config.text.loading)).openOn(map);
    fetch(tpsUrl + id + "/", { credentials: "same-origin", headers: { "X-Requested-With": "fetch" } })
      .then(function (response) {
        if (response.status === 404) { return escapeText(config.text.notFound); }
        if (!response.ok) { throw new Error(String(response.status)); }
        return response.text();
      })
      .then(function (html) { popup.setContent(html); })
      .catch(function () { popup.setContent(escapeText(config.text.failed)); });
  });

  // --- data -------------------------------------------------------------------------------
  function query() {
    var params = new URLSearchParams();
    if (form) {
      new FormData(form).forEach(function (value, key) { if (value) { params.append(key, value); } });
    }
    return params.toString();
  }

  function updateLegend(points) {
    var counts = states.map(function () { return 0; });
    for (var i = 0; i < points.length; i++) { counts[points[i][3]] += 1; }
    document.querySelectorAll("#map-legend [data-state]").forEach(function (el) {
      el.textContent = counts[Number(el.getAttribute("data-state"))].toLocaleString();
    });
  }

  var request = 0;
  function load() {
    var mine = ++request, qs = query();
    mapElement.setAttribute("data-loaded", "false");
    say(config.text.loading);
    fetch(config.dataUrl + (qs ? "?" + qs : ""), { credentials: "same-origin" })
      .then(function (response) {
        if (!response.ok) { throw new Error(String(response.status)); }
        return response.json();
      })
      .then(function (data) {
        if (mine !== request) { return; }
        clusters.clearLayers();
        var markers = [], bounds = [];
        for (var i = 0; i < data.points.length; i++) {
          var p = data.points[i];
          markers.push(L.marker([p[1], p[2]], {
            icon: icons[p[3]], tpsId: p[0], stateIndex: p[3],
            title: states[p[3]].label + " · " + p[4] + "%"
          }));
          bounds.push([p[1], p[2]]);
        }
        clusters.addLayers(markers);
        updateLegend(data.points);
        if (bounds.length) {
          map.fitBounds(L.latLngBounds(bounds), { padding: [24, 24], maxZoom: 16 });
          say(config.text.points.replace("%(count)s", data.points.length.toLocaleString()));
        } else {
          say(config.text.none);
          baseLayer.then(function (layer) {  // no point: show the Pemda's area at least
            if (layer && mine === request) { map.fitBounds(layer.getBounds(), { padding: [12, 12] }); }
          });
        }
        mapElement.setAttribute("data-points", String(data.points.length));
        mapElement.setAttribute("data-loaded", "true");
      })
      .catch(function () {
        if (mine !== request) { return; }
        say(config.text.failed);
        mapElement.setAttribute("data-loaded", "error");
      });
  }

  if (form) {
    form.addEventListener("change", function () {
      var qs = query();
      window.history.replaceState(null, "", window.location.pathname + (qs ? "?" + qs : ""));
      load();
    });
    form.addEventListener("submit", function (event) { event.preventDefault(); load(); });
  }
  load();
}());
