/* Monitoring wall: draws the ECharts panels from the JSON embedded in the htmx-refreshed partial
   (#wall-data) and redraws them after every swap. No inline scripts (CSP). */
(function () {
  "use strict";
  var charts = {};
  var dark = document.body.classList.contains("wall-screen");
  var colors = { normal: "#1a7f37", warning: "#d4a72c", yellow: "#bf8700", red: "#cf222e", suspended: "#0b57d0" };
  var levelColors = ["#d4a72c", "#e3b341", "#cf222e"];

  function data() {
    var el = document.getElementById("wall-data");
    return el ? JSON.parse(el.textContent) : null;
  }

  function options(kind, d) {
    var text = dark ? "#e6edf3" : "#1f2328";
    var base = { backgroundColor: "transparent", textStyle: { color: text }, tooltip: { trigger: "item" },
                 animation: false };
    if (kind === "states") {
      return Object.assign(base, { series: [{ type: "pie", radius: ["40%", "70%"],
        label: { color: text, formatter: "{b}: {c}" },
        data: d.states.map(function (s) { return { name: s.name, value: s.value, itemStyle: { color: colors[s.key] } }; }) }] });
    }
    if (kind === "levels") {
      return Object.assign(base, { tooltip: { trigger: "axis" }, legend: { textStyle: { color: text } },
        xAxis: { type: "category", data: d.levels.names }, yAxis: { type: "value", minInterval: 1 },
        series: [{ name: "今日", type: "bar", data: d.levels.today, itemStyle: { color: "#0b57d0" } },
                 { name: "本周", type: "bar", data: d.levels.week, itemStyle: { color: "#b3261e" } }] });
    }
    if (kind === "rules") {
      return Object.assign(base, { tooltip: { trigger: "axis" }, grid: { left: 110 },
        xAxis: { type: "value", minInterval: 1 }, yAxis: { type: "category", data: d.rules.names },
        series: [{ type: "bar", data: d.rules.values, itemStyle: { color: "#bf8700" } }] });
    }
    if (kind === "ranking") {
      return Object.assign(base, { tooltip: { trigger: "axis" }, grid: { left: 150 },
        xAxis: { type: "value", minInterval: 1 }, yAxis: { type: "category", data: d.ranking.names },
        series: [{ type: "bar", data: d.ranking.values, itemStyle: { color: "#cf222e" } }] });
    }
    if (kind === "trend") {
      return Object.assign(base, { tooltip: { trigger: "axis" }, legend: { textStyle: { color: text } },
        xAxis: { type: "category", data: d.trend.days }, yAxis: { type: "value", minInterval: 1 },
        series: d.trend.series.map(function (s, i) {
          return { name: s.name, type: "line", stack: "cards", areaStyle: {}, data: s.data, itemStyle: { color: levelColors[i] } };
        }) });
    }
    return base;
  }

  function draw() {
    var d = data();
    if (!d || typeof echarts === "undefined") { return; }
    document.querySelectorAll("[data-chart]").forEach(function (el) {
      var kind = el.getAttribute("data-chart");
      var chart = charts[kind];
      if (!chart || chart.getDom() !== el) {
        if (chart) { chart.dispose(); }
        chart = echarts.init(el, dark ? "dark" : null);
        charts[kind] = chart;
      }
      chart.setOption(options(kind, d), true);
    });
  }

  document.addEventListener("DOMContentLoaded", draw);
  document.body.addEventListener("htmx:afterSwap", draw);
  window.addEventListener("resize", function () {
    Object.keys(charts).forEach(function (k) { charts[k].resize(); });
  });
})();
