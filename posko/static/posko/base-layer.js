/* Posko maps' base layer: approximate kelurahan areas and kecamatan outlines, computed on
 * the server from the TPS points (not official boundaries), drawn under the points so a
 * map without tiles still shows where things are. Kelurahan names: a tooltip at any zoom,
 * a label from LABEL_ZOOM on. Needs Leaflet; loads nothing from outside the server.
 *
 * The map's element carries data-areas-url (the GeoJSON) and data-areas-note (the
 * attribution line, translated). PoskoBaseLayer.add(map, element) returns a promise of
 * the layer (or null when there is nothing to draw); the map scripts fit to its bounds
 * when they have no point of their own. */
(function () {
  "use strict";
  var LABEL_ZOOM = 14;

  function largestRing(coordinates) {
    // [[[lon, lat], ...], holes...] per shape: the outer ring with the most points
    var best = null;
    coordinates.forEach(function (shape) {
      if (!best || shape[0].length > best.length) { best = shape[0]; }
    });
    return best;
  }

  function centre(ring) {
    var area = 0, x = 0, y = 0;
    for (var i = 0, j = ring.length - 1; i < ring.length; j = i++) {
      var cross = ring[j][0] * ring[i][1] - ring[i][0] * ring[j][1];
      area += cross;
      x += (ring[j][0] + ring[i][0]) * cross;
      y += (ring[j][1] + ring[i][1]) * cross;
    }
    if (!area) { return L.latLng(ring[0][1], ring[0][0]); }
    return L.latLng(y / (3 * area), x / (3 * area));
  }

  function add(map, element) {
    var url = element && element.getAttribute("data-areas-url");
    if (!url || !window.L || !window.fetch) { return Promise.resolve(null); }
    var pane = map.createPane("wilayah");
    pane.style.zIndex = 250;  // above tiles (200), under vector points (400) and markers
    var labels = L.layerGroup();
    return fetch(url, { credentials: "same-origin" })
      .then(function (response) {
        if (!response.ok) { throw new Error(String(response.status)); }
        return response.json();
      })
      .then(function (data) {
        if (!data.features || !data.features.length) { return null; }
        var layer = L.geoJSON(data, {
          pane: "wilayah",
          style: function (feature) {
            if (feature.properties.kind === "kecamatan") {
              return { color: "#4b5563", weight: 2.5, opacity: 0.85, fill: false,
                       interactive: false, className: "wilayah-kecamatan" };
            }
            return { color: "#9aa1ab", weight: 1, opacity: 0.9, fillColor: "#ffffff",
                     fillOpacity: 0.45, className: "wilayah-kelurahan" };
          },
          onEachFeature: function (feature, shape) {
            var p = feature.properties;
            if (p.kind !== "kelurahan") { return; }
            var text = p.label + (p.kecamatan ? " · " + p.kecamatan : "");
            shape.bindTooltip(text, { sticky: true, className: "wilayah-tooltip" });
            labels.addLayer(L.tooltip({ permanent: true, direction: "center",
                                        className: "wilayah-label", interactive: false })
              .setLatLng(centre(largestRing(feature.geometry.coordinates)))
              .setContent(p.name));
          }
        }).addTo(map);
        var note = element.getAttribute("data-areas-note");
        if (note) { map.attributionControl.addAttribution(note); }
        function showLabels() {
          if (!map.hasLayer(layer)) { labels.remove(); return; }
          if (map.getZoom() >= LABEL_ZOOM) { labels.addTo(map); } else { labels.remove(); }
        }
        map.on("zoomend overlayadd overlayremove", showLabels);
        showLabels();
        var overlays = {};
        overlays[element.getAttribute("data-areas-label") || "Wilayah"] = layer;
        L.control.layers(null, overlays, { collapsed: true, position: "topright" }).addTo(map);
        element.setAttribute("data-areas", String(data.features.length));
        return layer;
      })
      .catch(function () {
        element.setAttribute("data-areas", "error");
        return null;
      });
  }

  window.PoskoBaseLayer = { add: add, LABEL_ZOOM: LABEL_ZOOM };
}());
