// Upload with visible progress: the bytes going up (XHR upload events), then the analysis job (polled).
const $ = (id) => document.getElementById(id);
const csrf = document.querySelector('meta[name="csrf-token"]').content;

function jobRow(job) {
  let row = $(`job-${job.id}`);
  if (!row) {
    row = document.createElement("tr");
    row.id = `job-${job.id}`;
    row.innerHTML = '<td></td><td></td><td class="status"></td><td><progress max="1"></progress> <span class="msg"></span></td><td class="link"></td>';
    $("jobs").querySelector("tbody").append(row);
  }
  row.dataset.job = job.id;
  row.dataset.status = job.status;
  row.cells[0].textContent = String(job.id).slice(0, 8);
  row.cells[1].textContent = job.drill;
  row.querySelector(".status").textContent = job.status === "running" ? `running (${job.stage})` : job.status;
  row.querySelector("progress").value = job.progress;
  row.querySelector(".msg").textContent = job.status === "failed" || job.status === "done" ? job.message : "";
  const link = row.querySelector(".link");
  if (job.report_url && !link.querySelector("a")) {
    const a = document.createElement("a");
    a.href = job.report_url;
    a.textContent = "report";
    a.className = "report-link";
    link.append(a);
  }
  return row;
}

async function poll() {
  const pending = Array.from(document.querySelectorAll("#jobs tr[data-job]"))
    .filter((r) => r.dataset.status === "queued" || r.dataset.status === "running");
  for (const r of pending) {
    const res = await fetch(`/api/jobs/${r.dataset.job}`, { credentials: "same-origin" });
    if (res.ok) jobRow(await res.json());
  }
}

$("upload-form").addEventListener("submit", (e) => {
  e.preventDefault();
  const file = $("upload-file").files[0];
  if (!file) return;
  const form = new FormData();
  form.append("drill", $("upload-drill").value);  // before the file: the server reads fields as they stream
  if ($("athlete")) form.append("athlete_id", $("athlete").value);  // a coach films one of their athletes
  form.append("video", file);
  const bar = $("upload-progress");
  const err = $("upload-error");
  err.hidden = true;
  bar.hidden = false;
  bar.value = 0;
  const xhr = new XMLHttpRequest();
  xhr.open("POST", "/api/uploads");
  xhr.setRequestHeader("X-CSRF", csrf);
  xhr.upload.onprogress = (ev) => { if (ev.lengthComputable) bar.value = ev.loaded / ev.total; };
  xhr.onload = () => {
    bar.hidden = true;
    if (xhr.status === 202) { jobRow(JSON.parse(xhr.responseText)); return; }
    let detail = xhr.statusText;
    try { detail = JSON.parse(xhr.responseText).detail; } catch (_) { /* not JSON */ }
    err.textContent = `Upload refused (${xhr.status}): ${detail}`;
    err.hidden = false;
  };
  xhr.onerror = () => { bar.hidden = true; err.textContent = "Upload failed (network)."; err.hidden = false; };
  xhr.send(form);
});

setInterval(poll, 1000);
