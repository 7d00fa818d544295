// Live "what this means" figures on the job pay form; the server renders the same figures without JS.
(function () {
  const form = document.getElementById("pay-form");
  if (!form) return;
  const feeBp = Number(form.dataset.feeBp || 0);
  const money = (cents) => "$" + (cents / 100).toLocaleString("en-US", { minimumFractionDigits: 2, maximumFractionDigits: 2 });
  const cents = (input) => (input && input.value.trim() !== "" ? Math.round(Number(input.value) * 100) : NaN);
  function update() {
    const rate = cents(form.querySelector("#hourly_rate"));
    const minutes = Number((form.querySelector("#est_minutes_per_task") || {}).value || 0);
    const budgetInput = form.querySelector("#budget");
    if (!(rate > 0)) return;
    const fee = (cents) => Math.floor((cents * feeBp * 2 + 10000) / 20000);  // halves up, as core.money.fee_cents
    const perHour = rate + fee(rate);  // the fee is on top: the trainer earns the full rate
    document.getElementById("earn-hour").textContent = money(rate);
    const taskGross = Math.floor((rate * minutes * 60 * 2 + 3600) / 7200);  // as core.money.pay_for_seconds
    document.getElementById("earn-task").textContent = minutes > 0 ? money(taskGross) : "—";
    document.getElementById("cost-hour").textContent = money(perHour);
    if (budgetInput) {
      const budget = cents(budgetInput) || 0;
      document.getElementById("budget-hours").textContent = (Math.floor(budget * 10 / perHour) / 10).toFixed(1) + " hours";
    }
  }
  form.addEventListener("input", update);
  update();
})();
