// Requester progress page: answers per hour as a bar chart (the table above says the same in numbers).
(function () {
  "use strict";
  const data = document.getElementById("throughput-data");
  const canvas = document.getElementById("throughput");
  if (!data || !canvas || typeof Chart === "undefined") return;
  const chart = JSON.parse(data.textContent);
  new Chart(canvas, {
    type: "bar",
    data: { labels: chart.labels, datasets: [{ label: "Answers", data: chart.counts, backgroundColor: "#1f6f5c" }] },
    options: { animation: false, plugins: { legend: { display: false } },
               scales: { y: { beginAtZero: true, ticks: { precision: 0 } } } },
  });
})();
