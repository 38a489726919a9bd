/* Statistics dashboard charts (plotly.js from the plotly wheel). Data comes from the
   data-chart attribute; every chart has a table beside it, so nothing is lost without JS. */
(function () {
  "use strict";
  var root = document.getElementById("stats-dashboard");
  if (!root || !window.Plotly) { return; }
  var data;
  try { data = JSON.parse(root.getAttribute("data-chart")); } catch (e) { return; }
  var unit = data.unit;
  var config = { responsive: true, displaylogo: false,
                 modeBarButtonsToRemove: ["lasso2d", "select2d", "autoScale2d"] };

  function layout(extra) {
    var base = {
      margin: { l: 60, r: 10, t: 10, b: 80 },
      legend: { orientation: "h", y: 1.12 },
      // Plain numbers in the named unit: plotly's default SI suffixes ("10k") on a 万元 axis
      // would read as another unit.
      yaxis: { title: { text: unit }, rangemode: "tozero", separatethousands: true,
               exponentformat: "none", tickformat: ",~f" },
      xaxis: { automargin: true },
      font: { family: "system-ui, -apple-system, 'PingFang SC', 'Microsoft YaHei', sans-serif" },
      hovermode: "x unified"
    };
    Object.keys(extra || {}).forEach(function (key) { base[key] = extra[key]; });
    return base;
  }

  function draw(id, traces, extra) {
    var el = document.getElementById(id);
    if (el) { window.Plotly.newPlot(el, traces, layout(extra), config); }
  }

  draw("chart-month", [
    { type: "bar", name: data.labels.contract, x: data.month.x, y: data.month.amount },
    { type: "scatter", mode: "lines+markers", name: data.labels.tech, x: data.month.x,
      y: data.month.tech }
  // Months as categories ("2026-03"): as dates plotly would label them in English.
  ], { xaxis: { automargin: true, type: "category" } });
  ["type", "field", "seller_kind"].forEach(function (key) {
    draw("chart-" + key, [{ type: "bar", name: data.labels.contract, x: data[key].x,
                            y: data[key].amount }], { showlegend: false });
  });
  draw("chart-regions", [
    { type: "bar", name: data.labels.output, x: data.regions.x, y: data.regions.output },
    { type: "bar", name: data.labels.intake, x: data.regions.x, y: data.regions.intake }
  ], { barmode: "group" });
})();
