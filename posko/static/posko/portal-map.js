/* The public TPS page's map point (Leaflet, vendored). Tiles only from the configured
 * POSKO_MAP_TILE_URL (data-tiles); without it, a plain background with the point. */
(function () {
  "use strict";
  function start() {
    var el = document.getElementById("portal-map");
    if (!el || !window.L) { return; }
    var lat = parseFloat(el.dataset.lat), lon = parseFloat(el.dataset.lon);
    if (isNaN(lat) || isNaN(lon)) { return; }
    var map = window.L.map(el, { scrollWheelZoom: false }).setView([lat, lon], 16);
    if (el.dataset.tiles) {
      window.L.tileLayer(el.dataset.tiles, { maxZoom: 19, attribution: el.dataset.attribution || "" }).addTo(map);
    }
    window.L.circleMarker([lat, lon], { radius: 9, weight: 2 }).addTo(map)
      .bindTooltip(el.dataset.label || "", { permanent: true, direction: "top" });
    window.L.control.scale().addTo(map);
    el.dataset.loaded = "true";
  }
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", start); } else { start(); }
}());
