// Charts (templates/charts.html): each <figure class="chart"> holds a canvas, its data as JSON and a table of the
// same figures. Drawn with Chart.js (static/vendor/chart, from npm) when the page loads and after each htmx swap;
// a chart is destroyed before its canvas is drawn again or leaves the page. The table is opened for printing.
(function () {
  "use strict";

  // Okabe-Ito hues beside leadflow's teal: told apart with the common colour blindnesses, readable on white.
  var PALETTE = ["#2f6f73", "#d55e00", "#0072b2", "#cc79a7", "#e69f00", "#56b4e9", "#616e7c"];
  var HIGHLIGHT = "#d55e00";
  var INK = "#1f2933";
  var GRID = "#d9e2ec";
  var drawn = new WeakMap();  // canvas -> the JSON text it was drawn from

  function reducedMotion() {
    return !!(window.matchMedia && window.matchMedia("(prefers-reduced-motion: reduce)").matches);
  }

  function language() {
    return document.documentElement.lang || undefined;
  }

  // Numbers as the unit says: tooltips in full, axis ticks short.
  function formatter(unit, currency, short) {
    var lang = language();
    var number;
    if (unit === "money") {
      number = new Intl.NumberFormat(lang, currency
        ? {style: "currency", currency: currency, notation: short ? "compact" : "standard",
           maximumFractionDigits: short ? 1 : 2}
        : {notation: short ? "compact" : "standard", maximumFractionDigits: short ? 1 : 2});
      return function (v) { return number.format(v); };
    }
    if (unit === "count") {
      number = new Intl.NumberFormat(lang, {maximumFractionDigits: 0});
      return function (v) { return number.format(v); };
    }
    number = new Intl.NumberFormat(lang, {maximumFractionDigits: 1, minimumFractionDigits: short ? 0 : 1});
    var suffix = {percent: " %", hours: " h", days: " days"}[unit] || "";
    return function (v) { return number.format(v) + suffix; };
  }

  function shortLabel(text) {
    text = String(text);
    return text.length > 22 ? text.slice(0, 21) + "…" : text;
  }

  function colours(series, index, count) {
    var base = PALETTE[index % PALETTE.length];
    if (!series.highlight || !series.highlight.length) { return base; }
    var each = [];
    for (var i = 0; i < count; i += 1) { each.push(series.highlight.indexOf(i) !== -1 ? HIGHLIGHT : base); }
    return each;
  }

  // The norm: a dashed line dataset at the norm's value on the value axis. Beside one series of bars (or stacked
  // ones) it runs across the whole plot on a hidden 0..1 axis of its own, so it spans the chart even with one bar;
  // those bars are then placed by their label alone (grouped: false), as Chart.js would otherwise keep a slot
  // beside them for the line's axis. Beside several series of bars side by side it joins the labels' centres.
  function normDataset(norm, horizontal, across, count) {
    var line = {type: "line", label: norm.label, order: 0, indexAxis: horizontal ? "y" : "x", borderColor: INK,
                borderWidth: 2, borderDash: [6, 4], pointRadius: 0, pointHitRadius: 0, fill: false};
    if (!across) {
      line.data = [];
      for (var i = 0; i < count; i += 1) { line.data.push(norm.value); }
      return line;
    }
    line.data = horizontal ? [{x: norm.value, y: 0}, {x: norm.value, y: 1}]
      : [{x: 0, y: norm.value}, {x: 1, y: norm.value}];
    line.xAxisID = horizontal ? "x" : "across";
    line.yAxisID = horizontal ? "across" : "y";
    return line;
  }

  function config(data) {
    var kind = data.kind;
    var labels = data.labels;
    var full = formatter(data.unit, data.currency, false);
    var tick = formatter(data.unit, data.currency, true);
    var horizontal = (kind === "bar" || kind === "stacked") &&
      (labels.length > 6 || labels.some(function (l) { return String(l).length > 14; }));
    var datasets = data.series.map(function (s, i) {
      if (kind === "doughnut") {
        return {label: s.name, data: s.values,
                backgroundColor: labels.map(function (_, j) { return PALETTE[j % PALETTE.length]; }),
                borderColor: "#ffffff", borderWidth: 2};
      }
      var colour = colours(s, i, labels.length);
      return {type: kind === "line" ? "line" : "bar", label: s.name, data: s.values, order: 1,
              backgroundColor: colour, borderColor: kind === "line" ? colour : undefined,
              borderWidth: kind === "line" ? 2 : 0, pointRadius: kind === "line" ? 3 : undefined,
              maxBarThickness: 48};
    });
    var valueAxis = horizontal ? "x" : "y";
    var indexAxis = horizontal ? "y" : "x";
    var scales;
    if (kind !== "doughnut") {
      scales = {};
      scales[indexAxis] = {stacked: kind === "stacked", grid: {display: false},
                           ticks: {color: INK, autoSkip: false,
                                   callback: function (value) { return shortLabel(this.getLabelForValue(value)); }}};
      scales[valueAxis] = {stacked: kind === "stacked", beginAtZero: true, grid: {color: GRID},
                           ticks: {color: INK, callback: function (value) { return tick(value); }}};
      if (data.unit === "percent") { scales[valueAxis].suggestedMax = 100; }
      var across = kind !== "bar" || data.series.length === 1;
      if (data.norm) {
        if (across && kind !== "line") {
          datasets.forEach(function (d) { d.grouped = false; d.barPercentage = 0.7; });
        }
        datasets.push(normDataset(data.norm, horizontal, across, labels.length));
        if (across) {
          scales.across = {type: "linear", min: 0, max: 1, offset: false, display: false, axis: horizontal ? "y" : "x"};
        }
      }
    }
    var links = data.links || [];
    return {
      type: kind === "doughnut" ? "doughnut" : (kind === "line" ? "line" : "bar"),
      data: {labels: labels, datasets: datasets},
      options: {
        responsive: true, maintainAspectRatio: false, indexAxis: indexAxis,
        animation: reducedMotion() ? false : {duration: 400},
        interaction: {mode: "nearest", intersect: true},
        scales: scales,
        plugins: {
          legend: {display: kind === "doughnut" || datasets.length > 1, position: "bottom",
                   labels: {color: INK, boxWidth: 14}},
          tooltip: {callbacks: {label: function (item) {
            var value = kind === "doughnut" ? item.parsed : item.parsed[valueAxis];
            return (kind === "doughnut" ? item.label : item.dataset.label) + ": " + full(value);
          }}}
        },
        onClick: function (event, elements) {
          var hit = elements.filter(function (e) { return e.datasetIndex < data.series.length; })[0];
          if (hit && links[hit.index]) { window.location.assign(links[hit.index]); }
        },
        onHover: function (event, elements) {
          var target = event.native && event.native.target;
          var over = elements.some(function (e) { return e.datasetIndex < data.series.length && links[e.index]; });
          if (target) { target.style.cursor = over ? "pointer" : "default"; }
        }
      },
      horizontal: horizontal
    };
  }

  function boxHeight(data, horizontal) {
    if (data.kind === "doughnut") { return 260; }
    if (horizontal) { return Math.max(200, data.labels.length * 30 + 70); }
    return 260;
  }

  function destroy(canvas) {
    var chart = window.Chart && window.Chart.getChart(canvas);
    if (chart) { chart.destroy(); }
    drawn.delete(canvas);
  }

  function draw(figure) {
    var canvas = figure.querySelector("canvas.chart-canvas");
    var source = figure.querySelector('script[type="application/json"].chart-data');
    if (!canvas || !source) { return; }
    var text = source.textContent;
    if (drawn.get(canvas) === text && window.Chart.getChart(canvas)) { return; }
    destroy(canvas);
    var data = JSON.parse(text);
    var built = config(data);
    var horizontal = built.horizontal;
    delete built.horizontal;
    var first = !figure.classList.contains("is-drawn");
    figure.classList.add("is-drawn");
    canvas.parentNode.style.height = boxHeight(data, horizontal) + "px";
    new window.Chart(canvas, built);
    drawn.set(canvas, text);
    var figures = figure.querySelector("details.chart-figures");
    if (first && figures) { figures.open = false; }  // drawn: the table waits behind its summary
  }

  function drawWithin(root) {
    if (!window.Chart) {
      if (root.querySelector && root.querySelector("figure.chart")) {
        console.warn("Charts: Chart.js is missing (run `make install`); the tables show the figures.");
      }
      return;
    }
    var figures = [];
    var around = root.closest ? root.closest("figure.chart") : null;
    if (around) { figures.push(around); }
    if (root.querySelectorAll) {
      Array.prototype.push.apply(figures, root.querySelectorAll("figure.chart"));
    }
    figures.forEach(function (figure) {
      try {
        draw(figure);
      } catch (error) {
        figure.classList.remove("is-drawn");
        console.error("Chart " + figure.id + " could not be drawn: " + error);
      }
    });
  }

  function fonts() {
    if (!window.Chart) { return; }
    window.Chart.defaults.font.family = window.getComputedStyle(document.body).fontFamily;
    window.Chart.defaults.font.size = 12;
    window.Chart.defaults.color = INK;
  }

  function start() {
    fonts();
    drawWithin(document);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
  document.addEventListener("htmx:load", function (event) { drawWithin(event.detail.elt); });
  document.addEventListener("htmx:afterSettle", function (event) { drawWithin(event.detail.elt || event.target); });
  document.addEventListener("htmx:beforeCleanupElement", function (event) {
    var elt = event.detail.elt || event.target;
    if (elt.tagName === "CANVAS") { destroy(elt); }
  });

  // On paper the tables show the figures: opened for printing, closed again after.
  var opened = [];
  window.addEventListener("beforeprint", function () {
    opened = Array.prototype.filter.call(document.querySelectorAll("figure.chart details.chart-figures"),
      function (d) { return !d.open; });
    opened.forEach(function (d) { d.open = true; });
  });
  window.addEventListener("afterprint", function () {
    opened.forEach(function (d) { d.open = false; });
    opened = [];
  });
}());
