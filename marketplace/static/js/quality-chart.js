// Agreement over time on a job's results page: cumulative Krippendorff's alpha by day (Chart.js, vendored).
(function () {
  var canvas = document.getElementById("agreement-chart");
  var source = document.getElementById("agreement-data");
  if (!canvas || !source || typeof Chart === "undefined") return;
  var data = JSON.parse(source.textContent);
  new Chart(canvas, {
    type: "line",
    data: {
      labels: data.labels,
      datasets: [{label: "Krippendorff's alpha (all answers up to that day)", data: data.alpha,
                  borderColor: "#1f8f5c", backgroundColor: "rgba(31,143,92,.12)", fill: true, tension: 0.2,
                  spanGaps: true}]
    },
    options: {
      animation: false,
      scales: {y: {suggestedMin: 0, suggestedMax: 1, title: {display: true, text: "alpha"}}},
      plugins: {
        tooltip: {callbacks: {afterLabel: function (ctx) { return data.answers[ctx.dataIndex] + " answers"; }}},
        annotation: undefined
      }
    }
  });
})();
