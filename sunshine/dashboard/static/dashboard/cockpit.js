// The cockpit's charts (sunshine/dashboard/cockpit/charts.py): each <div data-chart="id"> is drawn from the JSON
// in <script type="application/json" id="id">. The Content-Security-Policy allows no inline script, so the
// page carries only numbers and labels; this file turns them into ECharts options. Every chart has a table
// with the same numbers next to it; the drawing is aria-hidden.
(function () {
  "use strict";
  if (typeof echarts === "undefined") return;
  var charts = [];
  var BAR_HEIGHT = 26;

  function formatter(spec) {
    return function (value) {
      if (value === null || value === undefined || value === "") return "—";
      if (spec.unit === "%") return Number(value).toFixed(1) + "%";
      return Number(value).toLocaleString("zh-CN") + (spec.unit ? " " + spec.unit : "");
    };
  }

  function targetLine(spec, axis) {
    if (spec.target === null || spec.target === undefined) return undefined;
    var point = {};
    point[axis] = spec.target;
    var label = (spec.target_label || "") + " " + formatter(spec)(spec.target);
    return { silent: true, symbol: "none", lineStyle: { type: "dashed", color: "#b91c1c" },
             label: { formatter: label, position: "insideEndTop" }, data: [point] };
  }

  function option(spec) {
    var format = formatter(spec);
    var value = { type: "value", axisLabel: { formatter: spec.unit === "%" ? "{value}%" : undefined } };
    var category = { type: "category", data: spec.categories, axisLabel: { interval: 0 } };
    var base = {
      animation: false,
      tooltip: { trigger: "axis", valueFormatter: format },
      grid: { containLabel: true, left: 8, right: 32, top: spec.series.length > 1 ? 40 : 16, bottom: 8 },
      legend: spec.series.length > 1 ? { top: 0, type: "scroll" } : undefined,
    };
    if (spec.type === "bars") {  // the ranking: worst on top
      category.inverse = true;
      if (spec.unit === "%") value.max = 100;
      base.yAxis = category;
      base.xAxis = value;
      base.series = spec.series.map(function (s) {
        return { type: "bar", name: s.name, data: s.data, markLine: targetLine(spec, "xAxis"),
                 label: { show: true, position: "right", formatter: function (p) { return format(p.value); } } };
      });
    } else if (spec.type === "stack") {
      base.xAxis = category;
      base.yAxis = value;
      base.series = spec.series.map(function (s) {
        return { type: "bar", stack: "total", name: s.name, data: s.data };
      });
    } else {
      base.xAxis = category;
      base.yAxis = value;
      base.series = spec.series.map(function (s) {
        return { type: "line", name: s.name, data: s.data, connectNulls: false, symbolSize: 8,
                 markLine: targetLine(spec, "yAxis"), label: { show: true, formatter: function (p) { return format(p.value); } } };
      });
    }
    return base;
  }

  function draw(element) {
    var source = document.getElementById(element.getAttribute("data-chart"));
    if (!source) return;
    var spec = JSON.parse(source.textContent);
    if (spec.type === "bars") {  // one bar per division: as tall as the list, never squeezed
      element.style.height = Math.max(160, spec.categories.length * BAR_HEIGHT + 40) + "px";
    }
    var chart = echarts.init(element, null, { renderer: "canvas" });
    chart.setOption(option(spec));
    charts.push(chart);
  }

  function resize() {
    charts.forEach(function (chart) { chart.resize(); });
  }

  document.querySelectorAll("[data-chart]").forEach(draw);
  window.addEventListener("resize", resize);
  // Printing lays the page out at the paper's width: redraw at that size, and back afterwards.
  window.addEventListener("beforeprint", resize);
  window.addEventListener("afterprint", resize);
})();
