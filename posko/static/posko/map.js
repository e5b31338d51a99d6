/* Posko's TPS map (Leaflet, vendored), configured by the page; every module's map uses it.
 *
 * The <script> tag that loads this file (or the map element) carries the configuration in
 * data-* attributes:
 *   data-map="vmap"                 id of the map element (required)
 *   data-map-config="vmap-config"   id of the JSON config (json_script): dataUrl, tpsUrl,
 *                                   tileUrl, tileAttribution, the classes, text {loading,
 *                                   failed, points, [none], [notFound]}
 *   data-map-classes="bands"        key of the config's classes: [{code, label, colour,
 *                                   [shape]}]; a point's class is an index into them
 *   data-map-status, data-map-filters, data-map-legend   ids of the status line, the filter
 *                                   form (reloads the data, kept in the URL) and the legend
 *                                   (its [data-state="i"] elements get the count of class i)
 *   data-map-marker="circle|shape"  a coloured circle, or an SVG shape per class (circle,
 *                                   triangle, square, diamond: colour is never the only cue)
 *   data-map-marker-class           CSS classes of a point: "vtps vtps-{id} band-{code}"
 *   data-map-title                  a point's tooltip: {label} (its class), {N} column N of
 *                                   the point, {N:000} the same zero-padded
 *   data-map-popup="popup/"         the popup's URL: tpsUrl with the TPS id, then this suffix
 *   data-map-popup-width="220"      the popup's minimum width
 *   data-map-cluster="a b c"        cluster the points (markercluster); a cluster shows the
 *                                   first class of this list it holds ("worst-<code>")
 *   data-map-cluster-alert="a"      ... and, in red, how many points of that class
 *   data-map-areas="2 3"            zoomed out (or many points), one circle per area instead:
 *                                   the data's "kelurahan" rows [code, name, lat, lon, total,
 *                                   count of class 2, count of class 3]; the circle takes the
 *                                   highest class counted, else data-map-area-default
 *   data-map-area-class             CSS classes of an area circle: "vkel band-{code}"
 *
 * Points come from dataUrl as {"points": [[tps_id, lat, lon, class_index, ...], ...]}.
 * The map element gets data-loaded (false/true/error), data-points and, with areas,
 * data-mode (tps/kelurahan). Works without a tile server: a plain background with a scale,
 * the view fitted to the points (or to the base layer's areas, base-layer.js). */
(function () {
  "use strict";

  var DETAIL_ZOOM = 14, FEW_POINTS = 400, CANVAS_FROM = 3000;

  function escapeText(text) {
    var div = document.createElement("div");
    div.textContent = text;
    return div.innerHTML;
  }

  function words(text) { return (text || "").split(/\s+/).filter(Boolean); }

  // "{label}", "{4}", "{5:000}" filled from a point and its class (escaped for HTML: html)
  function fill(template, point, cls, html) {
    return template.replace(/\{(\w+)(?::(0+))?\}/g, function (all, key, pad) {
      var value;
      if (key === "label") { value = cls.label; } else if (key === "code") { value = cls.code; }
      else if (key === "id") { value = point[0]; } else { value = point[Number(key)]; }
      value = value === undefined || value === null ? "" : String(value);
      if (pad) { value = (pad + value).slice(-Math.max(pad.length, value.length)); }
      return html ? escapeText(value) : value;
    });
  }

  function shapeSvg(cls, size) {
    var s = size, h = s / 2, colour = cls.colour, inner;
    if (cls.shape === "circle") {
      inner = '<circle cx="' + h + '" cy="' + h + '" r="' + (h - 2) + '" fill="' + colour + '" stroke="#fff" stroke-width="2"/>';
    } else if (cls.shape === "triangle") {
      inner = '<polygon points="' + h + ',1 ' + (s - 1) + ',' + (s - 2) + ' 1,' + (s - 2) + '" fill="' + colour + '" stroke="#5c3d00" stroke-width="1.5"/>';
    } else if (cls.shape === "square") {
      inner = '<rect x="3" y="3" width="' + (s - 6) + '" height="' + (s - 6) + '" fill="#fff" stroke="' + colour + '" stroke-width="3"/>';
    } else {
      inner = '<polygon points="' + h + ',1 ' + (s - 1) + ',' + h + ' ' + h + ',' + (s - 1) + ' 1,' + h + '" fill="' + colour + '" stroke="#fff" stroke-width="1.5"/>' +
        '<text x="' + h + '" y="' + (h + 4) + '" text-anchor="middle" font-size="11" font-weight="700" fill="#fff" font-family="sans-serif">!</text>';
    }
    return '<svg xmlns="http://www.w3.org/2000/svg" width="' + s + '" height="' + s + '" viewBox="0 0 ' + s + ' ' + s + '" aria-hidden="true">' + inner + "</svg>";
  }

  function setUp(options) {
    var mapElement = document.getElementById(options.map);
    var configElement = document.getElementById(options.mapConfig);
    if (!configElement || !mapElement || !window.L) { return; }
    var config = JSON.parse(configElement.textContent);
    var classes = config[options.mapClasses || "classes"];
    var statusElement = options.mapStatus ? document.getElementById(options.mapStatus) : null;
    var form = options.mapFilters ? document.getElementById(options.mapFilters) : null;
    var legend = options.mapLegend ? document.getElementById(options.mapLegend) : null;
    var markerClass = options.mapMarkerClass || "";
    var title = options.mapTitle || "{label}";
    var popupSuffix = options.mapPopup || "";
    var popupWidth = Number(options.mapPopupWidth || 220);
    var shapes = options.mapMarker === "shape";
    var clusterOrder = words(options.mapCluster);
    var areaClasses = words(options.mapAreas).map(Number);
    var areaDefault = Number(options.mapAreaDefault || 0);
    var areaClass = options.mapAreaClass || "";

    function say(text) { if (statusElement) { statusElement.textContent = text; } }
    function indexOf(code) {
      for (var i = 0; i < classes.length; i++) { if (classes[i].code === code) { return i; } }
      return -1;
    }

    // --- map and base layers ------------------------------------------------------------
    var map = L.map(mapElement, { zoomControl: true, maxZoom: 19 });
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

    // --- popup: fetched when a point is clicked --------------------------------------------
    var tpsBase = config.tpsUrl.replace(/0\/$/, "");
    function openPopup(id, latlng) {
      var popup = L.popup({ maxWidth: 320, minWidth: popupWidth }).setLatLng(latlng)
        .setContent(escapeText(config.text.loading)).openOn(map);
      fetch(tpsBase + id + "/" + popupSuffix,
            { credentials: "same-origin", headers: { "X-Requested-With": "fetch" } })
        .then(function (response) {
          if (response.status === 404 && config.text.notFound) { return escapeText(config.text.notFound); }
          if (!response.ok) { throw new Error(String(response.status)); }
          return response.text();
        })
        .then(function (html) { popup.setContent(html); })
        .catch(function () { popup.setContent(escapeText(config.text.failed)); });
    }
    function onClick(event) { openPopup(event.target.options.tpsId, event.target.getLatLng()); }

    // --- points ---------------------------------------------------------------------------
    var icons = classes.map(function (cls) {
      return L.divIcon({ className: fill(markerClass, [], cls), html: shapeSvg(cls, 22),
                         iconSize: [22, 22], iconAnchor: [11, 11], popupAnchor: [0, -10] });
    });
    var canvas = L.canvas({ padding: 0.3 });

    function marker(p, many) {
      var cls = classes[p[3]], point;
      if (shapes) {
        point = L.marker([p[1], p[2]], { icon: icons[p[3]], tpsId: p[0], classIndex: p[3],
                                         title: fill(title, p, cls) });
      } else {
        point = L.circleMarker([p[1], p[2]], {
          renderer: many ? canvas : undefined, radius: 7, weight: 2, color: "#fff",
          fillColor: cls.colour, fillOpacity: 0.95, className: fill(markerClass, p, cls),
          tpsId: p[0], classIndex: p[3]
        });
        point.bindTooltip(fill(title, p, cls, true));
      }
      point.on("click", onClick);
      return point;
    }

    var pointLayer;
    if (clusterOrder.length) {
      var alertIndex = indexOf(options.mapClusterAlert);
      pointLayer = L.markerClusterGroup({
        chunkedLoading: true, showCoverageOnHover: false, maxClusterRadius: 45,
        disableClusteringAtZoom: 17, spiderfyOnMaxZoom: true,
        iconCreateFunction: function (cluster) {
          var children = cluster.getAllChildMarkers(), counts = classes.map(function () { return 0; });
          for (var i = 0; i < children.length; i++) { counts[children[i].options.classIndex] += 1; }
          var worst = clusterOrder[clusterOrder.length - 1];
          for (var w = 0; w < clusterOrder.length; w++) {
            var index = indexOf(clusterOrder[w]);
            if (index >= 0 && counts[index]) { worst = clusterOrder[w]; break; }
          }
          var alerts = alertIndex >= 0 ? counts[alertIndex] : 0;
          var size = children.length < 100 ? 36 : children.length < 1000 ? 44 : 52;
          var html = "<div>" + children.length + "</div>" + (alerts ? "<b>!" + alerts + "</b>" : "");
          return L.divIcon({ html: html, className: "tps-cluster worst-" + worst,
                             iconSize: [size, size] });
        }
      });
    } else {
      pointLayer = L.layerGroup();
    }
    map.addLayer(pointLayer);

    // --- areas: one circle per area when zoomed out -----------------------------------------
    var areaLayer = L.layerGroup().addTo(map);
    var data = { points: [], kelurahan: [] };

    function drawPoints() {
      var many = data.points.length > CANVAS_FROM, markers = [];
      for (var i = 0; i < data.points.length; i++) { markers.push(marker(data.points[i], many)); }
      if (pointLayer.addLayers) { pointLayer.addLayers(markers); }
      else { for (var m = 0; m < markers.length; m++) { pointLayer.addLayer(markers[m]); } }
    }

    function drawAreas() {
      var rows = data.kelurahan || [];
      for (var i = 0; i < rows.length; i++) {
        var k = rows[i], index = areaDefault, parts = [];
        for (var c = 0; c < areaClasses.length; c++) {
          if (k[5 + c]) { index = areaClasses[c]; }
          parts.push(escapeText(classes[areaClasses[c]].label) + " " + k[5 + c]);
        }
        var cls = classes[index];
        var circle = L.circleMarker([k[2], k[3]], {
          radius: Math.min(30, 8 + Math.sqrt(k[4]) * 2), weight: 2, color: cls.colour,
          fillColor: cls.colour, fillOpacity: 0.35, className: fill(areaClass, k, cls)
        });
        circle.bindTooltip([escapeText(k[1]) + ": " + k[4] + " TPS"].concat(parts).join(" · "));
        circle.on("click", function (event) { map.setView(event.latlng, DETAIL_ZOOM); });
        areaLayer.addLayer(circle);
      }
    }

    function render() {
      if (!areaClasses.length) {
        if (!pointLayer.getLayers().length) { drawPoints(); }
        return;
      }
      var detail = map.getZoom() >= DETAIL_ZOOM || data.points.length <= FEW_POINTS;
      if (detail) {
        areaLayer.clearLayers();
        if (!pointLayer.getLayers().length) { drawPoints(); }
      } else {
        pointLayer.clearLayers();
        if (!areaLayer.getLayers().length) { drawAreas(); }
      }
      mapElement.setAttribute("data-mode", detail ? "tps" : "kelurahan");
    }
    if (areaClasses.length) { map.on("zoomend", render); }

    function updateLegend() {
      if (!legend) { return; }
      var counts = classes.map(function () { return 0; });
      for (var i = 0; i < data.points.length; i++) { counts[data.points[i][3]] += 1; }
      legend.querySelectorAll("[data-state]").forEach(function (el) {
        el.textContent = counts[Number(el.getAttribute("data-state"))].toLocaleString();
      });
    }

    // --- data -------------------------------------------------------------------------------
    function query() {
      var params = new URLSearchParams();
      if (form) {
        new FormData(form).forEach(function (value, key) { if (value) { params.append(key, value); } });
      }
      return params.toString();
    }

    var request = 0;
    function load() {
      var mine = ++request, qs = query();
      mapElement.setAttribute("data-loaded", "false");
      if (config.text.loading) { say(config.text.loading); }
      fetch(config.dataUrl + (qs ? "?" + qs : ""), { credentials: "same-origin" })
        .then(function (response) {
          if (!response.ok) { throw new Error(String(response.status)); }
          return response.json();
        })
        .then(function (result) {
          if (mine !== request) { return; }
          data = result;
          pointLayer.clearLayers();
          areaLayer.clearLayers();
          var bounds = data.points.map(function (p) { return [p[1], p[2]]; });
          if (bounds.length) {
            map.fitBounds(L.latLngBounds(bounds), { padding: [24, 24], maxZoom: 16 });
          } else {
            baseLayer.then(function (layer) {  // no point: show the Pemda's area at least
              if (layer && mine === request) { map.fitBounds(layer.getBounds(), { padding: [12, 12] }); }
            });
          }
          render();
          updateLegend();
          if (!bounds.length && config.text.none) { say(config.text.none); }
          else { say(config.text.points.replace("%(count)s", data.points.length.toLocaleString())); }
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
  }

  document.querySelectorAll("[data-map]").forEach(function (element) {
    setUp(element.dataset);
  });
}());
