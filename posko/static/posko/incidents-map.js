/* Posko incidents map: open reports as points coloured by severity (Leaflet +
 * markercluster, vendored). Points come from map_data as
 * [[id, lat, lon, severity, code, title, category, state], ...]. Works without tiles. */
(function () {
  "use strict";
  var configElement = document.getElementById("map-config");
  var mapElement = document.getElementById("map");
  if (!configElement || !mapElement || !window.L) { return; }
  var config = JSON.parse(configElement.textContent);
  var statusElement = document.getElementById("map-status");
  function say(text) { if (statusElement) { statusElement.textContent = text; } }
  function escapeText(text) { var d = document.createElement("div"); d.textContent = text; return d.innerHTML; }

  var map = L.map(mapElement, { maxZoom: 19 });
  if (config.tileUrl) {
    L.tileLayer(config.tileUrl, { attribution: config.tileAttribution, maxZoom: 19 }).addTo(map);
  }
  L.control.scale({ imperial: false }).addTo(map);
  map.setView([-2.5, 118], 5);  // Indonesia, until the points (or the areas) arrive
  // approximate kelurahan areas under the points (base-layer.js)
  var baseLayer = window.PoskoBaseLayer ? window.PoskoBaseLayer.add(map, mapElement)
    : Promise.resolve(null);
  var fitted = false;  // fit once: the reload every minute keeps the reader's zoom
  var clusters = L.markerClusterGroup({
    chunkedLoading: true, showCoverageOnHover: false, maxClusterRadius: 40,
    iconCreateFunction: function (cluster) {
      var n = 0;
      cluster.getAllChildMarkers().forEach(function (m) { n += m.options.count || 1; });
      return L.divIcon({ html: "<div>" + n + "</div>", className: "inc-cluster", iconSize: [36, 36] });
    }
  });
  map.addLayer(clusters);
  var detail = config.detailUrl.replace(/0\/$/, "");

  function load() {
    fetch(config.dataUrl, { credentials: "same-origin" }).then(function (r) { return r.json(); }).then(function (data) {
      clusters.clearLayers();
      var markers = [], bounds = [];
      var reports = 0;
      data.points.forEach(function (p) {
        // [kind, id, lat, lon, severity, count, label]; kind "t": open reports at a TPS.
        var icon = L.divIcon({ className: "inc-marker inc-" + p[4], iconSize: [22, 22],
                               html: "<span>" + (p[5] > 1 ? p[5] : "") + "</span>" });
        var m = L.marker([p[2], p[3]], { icon: icon, title: p[6], count: p[5] });
        var href = (p[0] === "t" && p[5] > 1) ? config.listUrl + "?open=on&tps=" + p[1] : detail + p[1] + "/";
        var text = p[5] > 1 ? config.openLabel.replace("%(n)s", p[5]) : "";
        m.bindPopup('<a href="' + href + '"><strong>' + escapeText(p[6]) + "</strong></a>" + (text ? "<br>" + escapeText(text) : ""));
        markers.push(m); bounds.push([p[2], p[3]]); reports += p[5];
      });
      clusters.addLayers(markers);
      if (bounds.length && !fitted) {
        fitted = true;
        map.fitBounds(bounds, { padding: [20, 20], maxZoom: 15 });
      } else if (!fitted) {
        baseLayer.then(function (layer) {
          if (layer && !fitted) { fitted = true; map.fitBounds(layer.getBounds(), { padding: [12, 12] }); }
        });
      }
      say(config.countLabel.replace("%(n)s", reports));
      mapElement.setAttribute("data-points", String(markers.length));
      mapElement.setAttribute("data-loaded", "true");
    }).catch(function () { say("\u26a0"); });
  }
  load();
  setInterval(load, 60000);
})();
