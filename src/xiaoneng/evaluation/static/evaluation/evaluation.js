/* Department score page: category radar and 12-month trend (ECharts). Data comes from the
   <script type="application/json" id="ev-chart-data"> block rendered by the server; no inline script. */
(function () {
  "use strict";
  function start() {
    var dataEl = document.getElementById("ev-chart-data");
    if (!dataEl || typeof echarts === "undefined") { return; }
    var data = JSON.parse(dataEl.textContent);
    var charts = [];
    var radarEl = document.getElementById("ev-radar");
    if (radarEl && data.radar && data.radar.length) {
      var radar = echarts.init(radarEl);
      radar.setOption({
        tooltip: {},
        radar: { indicator: data.radar.map(function (c) { return { name: c.name, max: c.max || 1 }; }), radius: "62%" },
        series: [{ type: "radar", areaStyle: { opacity: 0.25 },
                   data: [{ name: data.labels.score, value: data.radar.map(function (c) { return Math.min(c.value, c.max || c.value); }) }] }]
      });
      charts.push(radar);
    }
    var trendEl = document.getElementById("ev-trend");
    if (trendEl && data.trend && data.trend.length) {
      var trend = echarts.init(trendEl);
      trend.setOption({
        tooltip: { trigger: "axis" },
        grid: { left: 40, right: 16, top: 24, bottom: 32 },
        xAxis: { type: "category", data: data.trend.map(function (p) { return p.key; }) },
        yAxis: { type: "value", min: 0, max: function (v) { return Math.max(100, Math.ceil(v.max / 10) * 10); } },
        series: [{ name: data.labels.total, type: "line", connectNulls: true, showSymbol: true, symbolSize: 8,
                   label: { show: true, position: "top" },
                   data: data.trend.map(function (p) { return p.total; }),
                   markLine: { silent: true, symbol: "none", data: [{ yAxis: 90 }, { yAxis: 80 }, { yAxis: 60 }] } }]
      });
      charts.push(trend);
    }
    window.addEventListener("resize", function () { charts.forEach(function (c) { c.resize(); }); });
  }
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", start); } else { start(); }
})();
