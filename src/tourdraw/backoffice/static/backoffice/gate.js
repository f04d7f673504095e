// The gate page keeps working with no network: it keeps the session's manifest
// (tickets, masked names, revocations, public keys), verifies the ticket's
// Ed25519 signature in the browser, records check-ins locally with a nonce
// each, and uploads them when the network is back. The server counts a
// replayed nonce once and flags a person checked in on two devices.
"use strict";

(function () {
  const root = document.getElementById("gate");
  if (!root) return;
  const text = (name) => root.dataset["text" + name[0].toUpperCase() + name.slice(1)];
  const manifestUrl = root.dataset.manifest;
  const syncUrl = root.dataset.sync;
  const status = document.getElementById("gate-status");
  const form = document.getElementById("scan-form");
  const input = document.getElementById("code");
  const offlineParty = document.getElementById("offline-party");
  const syncButton = document.getElementById("sync-button");
  const storeKey = "tourdraw-gate:" + manifestUrl;
  const queueKey = "tourdraw-gate-queue:" + manifestUrl;
  const deviceKey = "tourdraw-gate-device";

  let manifest = JSON.parse(localStorage.getItem(storeKey) || "null");
  const queue = () => JSON.parse(localStorage.getItem(queueKey) || "[]");
  const saveQueue = (items) => localStorage.setItem(queueKey, JSON.stringify(items));
  if (!localStorage.getItem(deviceKey)) localStorage.setItem(deviceKey, crypto.randomUUID());

  function csrf() {
    const match = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
    return match ? decodeURIComponent(match[1]) : "";
  }

  function showStatus() {
    const pending = queue().length;
    status.textContent = (navigator.onLine ? text("online") : text("offline")) +
      (pending ? " " + pending + " " + text("pending") : "");
    syncButton.hidden = !pending || !navigator.onLine;
    syncButton.textContent = "↑ " + pending + " " + text("pending");
  }

  async function refreshManifest() {
    try {
      const response = await fetch(manifestUrl, { credentials: "same-origin" });
      if (!response.ok) return;
      manifest = await response.json();
      // Keep what this device checked in but has not uploaded yet.
      for (const item of queue()) markLocal(item.ticket, item.member);
      localStorage.setItem(storeKey, JSON.stringify(manifest));
    } catch (error) {
      /* offline: keep the stored manifest */
    }
    showStatus();
  }

  let uploading = false;

  async function upload() {
    const items = queue();
    if (uploading || !items.length || !navigator.onLine) return;
    uploading = true;
    try {
      const response = await fetch(syncUrl, {
        method: "POST",
        credentials: "same-origin",
        headers: { "Content-Type": "application/json", "X-CSRFToken": csrf() },
        body: JSON.stringify({ device: localStorage.getItem(deviceKey), checkins: items }),
      });
      if (response.ok) {
        const sent = new Set(items.map((item) => item.nonce));
        saveQueue(queue().filter((item) => !sent.has(item.nonce)));
      }
    } catch (error) {
      /* still offline */
    } finally {
      uploading = false;
    }
    showStatus();
  }

  // Strict base64url (no padding, no other characters): atob() alone skips
  // spaces and accepts "+/", so a mangled signature could still decode.
  function decode(part) {
    if (typeof part !== "string" || !/^[A-Za-z0-9_-]*$/.test(part) || part.length % 4 === 1) {
      throw new Error("not base64url");
    }
    const base64 = part.replace(/-/g, "+").replace(/_/g, "/");
    const raw = atob(base64 + "=".repeat((4 - (base64.length % 4)) % 4));
    return Uint8Array.from(raw, (c) => c.charCodeAt(0));
  }

  // Only a well-formed signature that verifies passes. Anything else, a
  // browser without Ed25519 included, is refused: the ticket codes in the
  // manifest are no secret once a QR has been photographed.
  async function signatureHolds(payload, body) {
    const parts = payload.split(".");
    const key = Object.prototype.hasOwnProperty.call(manifest.keys, body.k) && manifest.keys[body.k];
    if (typeof key !== "string") return false;
    try {
      const signature = decode(parts[2]);
      const raw = decode(key);
      if (signature.length !== 64 || raw.length !== 32) return false;
      const publicKey = await crypto.subtle.importKey("raw", raw, { name: "Ed25519" }, false, ["verify"]);
      return (await crypto.subtle.verify({ name: "Ed25519" }, publicKey, signature,
        new TextEncoder().encode(parts[0] + "." + parts[1]))) === true;
    } catch (error) {
      return false;
    }
  }

  function refuse(message) {
    offlineParty.hidden = false;
    offlineParty.className = "errors refusal";
    offlineParty.textContent = message;
  }

  function markLocal(ticket, member) {
    const entry = manifest && manifest.tickets.find((t) => t.ticket === ticket);
    const person = entry && entry.persons.find((p) => p.member === member);
    if (person) person.checked_in = true;
  }

  async function checkOffline(payload) {
    const parts = payload.trim().split(".");
    let body;
    try {
      if (parts.length !== 3 || parts[0] !== "TD1") throw new Error();
      body = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(decode(parts[1])));
      if (!body || body.v !== 1 || typeof body.t !== "string" || !Number.isInteger(body.s)) {
        throw new Error("not a ticket body");
      }
    } catch (error) {
      return refuse(text("malformed"));
    }
    if (!(await signatureHolds(payload.trim(), body))) return refuse(text("forged"));
    if (manifest.revoked.includes(body.t)) return refuse(text("revoked"));
    const entry = manifest.tickets.find((t) => t.ticket === body.t);
    if (!entry || body.s !== manifest.slot.id) return refuse(text("unknown"));
    const now = new Date();
    if (now < new Date(manifest.arrival.opens)) return refuse(text("early"));
    if (now > new Date(manifest.arrival.closes)) return refuse(text("late"));
    const waiting = entry.persons.filter((p) => !p.checked_in);
    if (!waiting.length) return refuse(text("done"));
    offlineParty.hidden = false;
    offlineParty.className = "card stack";
    offlineParty.replaceChildren();
    for (const person of entry.persons) {
      const label = document.createElement("label");
      label.className = "check person";
      const box = document.createElement("input");
      box.type = "checkbox";
      box.value = person.member;
      box.checked = !person.checked_in;
      box.disabled = person.checked_in;
      const span = document.createElement("span");
      span.textContent = person.name + " · " + person.id + " · " + person.age;
      label.append(box, span);
      offlineParty.append(label);
    }
    const button = document.createElement("button");
    button.type = "button";
    button.className = "button";
    button.textContent = text("checkin");
    button.addEventListener("click", () => {
      const items = queue();
      for (const box of offlineParty.querySelectorAll("input:checked:not(:disabled)")) {
        const member = Number(box.value);
        items.push({ nonce: crypto.randomUUID(), ticket: entry.ticket, member, scanned_at: new Date().toISOString() });
        markLocal(entry.ticket, member);
      }
      saveQueue(items);
      localStorage.setItem(storeKey, JSON.stringify(manifest));
      offlineParty.className = "notice";
      offlineParty.textContent = text("saved");
      input.value = "";
      input.focus();
      showStatus();
    });
    offlineParty.append(button);
  }

  form.addEventListener("submit", (event) => {
    if (navigator.onLine || !manifest) return; // online: the server checks
    event.preventDefault();
    checkOffline(input.value);
  });

  const partyForm = document.getElementById("party-form");
  if (partyForm) partyForm.elements.nonce.value = crypto.randomUUID();

  const cameraButton = document.getElementById("camera-button");
  if ("BarcodeDetector" in window && navigator.mediaDevices) {
    cameraButton.hidden = false;
    cameraButton.addEventListener("click", async () => {
      const video = document.getElementById("camera");
      const detector = new BarcodeDetector({ formats: ["qr_code"] });
      video.srcObject = await navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" } });
      video.hidden = false;
      await video.play();
      const look = async () => {
        const codes = await detector.detect(video);
        if (codes.length) {
          video.srcObject.getTracks().forEach((track) => track.stop());
          video.hidden = true;
          input.value = codes[0].rawValue;
          form.requestSubmit();
        } else {
          setTimeout(look, 250);
        }
      };
      look();
    });
  }

  syncButton.addEventListener("click", upload);
  window.addEventListener("online", () => { showStatus(); upload(); refreshManifest(); });
  window.addEventListener("offline", showStatus);
  setInterval(() => { if (navigator.onLine) { upload(); refreshManifest(); } }, 60000);
  refreshManifest().then(upload);
})();
