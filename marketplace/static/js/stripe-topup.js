// Real mode only: Stripe.js (loaded by the page from js.stripe.com) collects the card and confirms the
// PaymentIntent with Stripe; then the check form asks our server, which credits the funds once Stripe agrees.
(function () {
  "use strict";
  const root = document.getElementById("stripe-payment");
  if (!root || typeof window.Stripe === "undefined") {
    return;
  }
  const stripe = window.Stripe(root.dataset.publishableKey);
  const elements = stripe.elements({ clientSecret: root.dataset.clientSecret });
  const mountPoint = document.getElementById("payment-element");
  mountPoint.textContent = "";
  elements.create("payment").mount(mountPoint);

  const form = document.getElementById("stripe-pay-form");
  const message = document.getElementById("payment-message");
  const button = form.querySelector("button");
  form.addEventListener("submit", async function (event) {
    event.preventDefault();
    button.disabled = true;
    button.setAttribute("aria-busy", "true");
    message.textContent = "";
    const result = await stripe.confirmPayment({
      elements: elements,
      redirect: "if_required",
      confirmParams: { return_url: root.dataset.returnUrl },
    });
    if (result.error) {
      message.textContent = result.error.message || "The payment did not go through.";
      button.disabled = false;
      button.removeAttribute("aria-busy");
      return;
    }
    document.getElementById("check-form").submit();
  });
})();
