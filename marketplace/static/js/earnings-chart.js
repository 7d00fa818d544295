// Earnings and hours per pay week (last 12) on the trainer's earnings page: Chart.js, vendored.
(function () {
  "use strict";
  var canvas = document.getElementById("earnings-chart");
  var source = document.getElementById("earnings-data");
  if (!canvas || !source || typeof Chart === "undefined") { return; }
  var data = JSON.parse(source.textContent);
  var dollars = function (value) { return "$" + Number(value).toFixed(2); };
  new Chart(canvas, {
    type: "bar",
    data: {
      labels: data.labels,
      datasets: [
        { label: "Approved ($)", data: data.approved, backgroundColor: "#1f8f5c", stack: "money", yAxisID: "money" },
        { label: "Pending approval ($)", data: data.pending, backgroundColor: "#9fd3b4", stack: "money", yAxisID: "money" },
        { label: "Hours", data: data.hours, type: "line", borderColor: "#2b6cb0", backgroundColor: "#2b6cb0",
          yAxisID: "hours", tension: 0.2, cubicInterpolationMode: "monotone" }
      ]
    },
    options: {
      responsive: true, maintainAspectRatio: false, animation: false,
      interaction: { mode: "index", intersect: false },
      scales: {
        x: { stacked: true, ticks: { maxRotation: 0, autoSkip: true } },
        money: { stacked: true, position: "left", beginAtZero: true, ticks: { callback: dollars },
                 title: { display: true, text: "Earned" } },
        hours: { position: "right", beginAtZero: true, grid: { drawOnChartArea: false },
                 title: { display: true, text: "Hours" } }
      },
      plugins: { tooltip: { callbacks: { label: function (ctx) {
        return ctx.dataset.yAxisID === "money" ? ctx.dataset.label + ": " + dollars(ctx.parsed.y)
                                               : "Hours: " + ctx.parsed.y;
      } } } }
    }
  });
})();
