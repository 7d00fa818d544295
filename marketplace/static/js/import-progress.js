// Polls an import's progress and fills the bar; reloads the page once the import has finished.
(function () {
  const box = document.getElementById("import-status");
  if (!box || ["succeeded", "failed"].includes(box.dataset.status)) return;
  const bar = document.getElementById("import-bar");
  const rows = document.getElementById("import-rows");
  async function poll() {
    try {
      const response = await fetch(box.dataset.progressUrl, { headers: { Accept: "application/json" } });
      if (response.ok) {
        const data = await response.json();
        bar.value = data.percent;
        rows.textContent = `${data.rows_seen.toLocaleString()} rows read, ${data.rows_invalid.toLocaleString()} invalid`;
        if (data.status === "succeeded" || data.status === "failed") { window.location.reload(); return; }
      }
    } catch (error) { /* a dropped poll is retried */ }
    setTimeout(poll, 1000);
  }
  setTimeout(poll, 500);
})();
