// /explore: a small example front-end over this server's API, in plain JavaScript.
//
// It uses only what any client has: the list envelope (items, total, links.next/prev),
// /topics and /providers for the filters, and /articles?q=…&highlight=true for search.
// No inline script or event handler anywhere, so it runs under a strict
// Content-Security-Policy (script-src 'self'; connect-src 'self'). Everything that comes
// from the API is inserted as text, except the search highlights, which the API sends
// as HTML-escaped fragments whose only markup is <mark>.
"use strict";

const PAGE_SIZE = 10;
const FILTERS = ["q", "topic", "provider"];

const $ = (id) => document.getElementById(id);
const form = $("filters");
const controls = { q: $("q"), topic: $("topic"), provider: $("provider") };
const list = $("articles");
const status = $("status");
const errorBox = $("error");
const pageLabel = $("page");
const prevButton = $("prev");
const nextButton = $("next");
const cardTemplate = $("card");
const dateFormat = new Intl.DateTimeFormat(undefined, { dateStyle: "medium" });

let inFlight = null; // the AbortController of the list request being answered
let links = {}; // the current page's links (next, prev)

/** An absolute URL of this API: path relative to the page, with the given parameters. */
function apiUrl(path, params = {}) {
  const url = new URL(path, document.baseURI);
  for (const [name, value] of Object.entries(params)) {
    if (value !== "" && value !== null && value !== undefined) url.searchParams.set(name, value);
  }
  return url.href;
}

/** The JSON of a GET; a problem document (or any non-2xx) becomes an Error saying why. */
async function getJson(url, signal) {
  const response = await fetch(url, { headers: { Accept: "application/json" }, signal });
  const body = await response.json().catch(() => null);
  if (!response.ok) {
    const why = body && body.detail ? body.detail : response.statusText;
    throw new Error(`${response.status} ${why}`);
  }
  return body;
}

/** Only http(s) links are followed: an article's URL never becomes a javascript: link. */
function httpUrl(value, httpsOnly = false) {
  try {
    const url = new URL(value);
    const ok = httpsOnly ? url.protocol === "https:" : /^https?:$/.test(url.protocol);
    return ok ? url.href : null;
  } catch {
    return null;
  }
}

/** Fill a select box with every topic or provider, walking the list by links.next. */
async function fillSelect(select, path) {
  let url = apiUrl(path, { sort: "name", pageSize: 100 });
  while (url) {
    const page = await getJson(url);
    for (const item of page.items) {
      select.add(new Option(`${item.name} (${item.articleCount})`, item.id));
    }
    url = page.links.next;
  }
}

/** The filters (and page) the page's own address carries, e.g. explore?topic=ai&page=2. */
function stateFromLocation() {
  const params = new URLSearchParams(window.location.search);
  const state = {};
  for (const name of [...FILTERS, "page"]) state[name] = params.get(name) || "";
  return state;
}

/** The API request for a state: /articles with its filters, a page of PAGE_SIZE. */
function listUrl(state) {
  return apiUrl("articles", {
    q: state.q,
    highlight: state.q ? "true" : "",
    topic: state.topic,
    provider: state.provider,
    page: state.page && state.page !== "1" ? state.page : "",
    pageSize: PAGE_SIZE,
  });
}

/** The page's own address for an API list URL, so a view can be bookmarked and shared. */
function addressFor(url) {
  const api = new URL(url).searchParams;
  const own = new URLSearchParams();
  for (const name of [...FILTERS, "page"]) {
    const value = api.get(name);
    if (value && !(name === "page" && value === "1")) own.set(name, value);
  }
  const query = own.toString();
  return query ? `?${query}` : window.location.pathname;
}

function setControls(state) {
  for (const name of FILTERS) controls[name].value = state[name];
}

function showError(message) {
  errorBox.textContent = message;
  errorBox.hidden = false;
}

/** Load one API list URL and show it. ``push``: a new entry in the browser history. */
async function show(url, { push = false } = {}) {
  if (inFlight) inFlight.abort();
  const controller = (inFlight = new AbortController());
  list.setAttribute("aria-busy", "true");
  try {
    const page = await getJson(url, controller.signal);
    render(page, new URL(url).searchParams.get("q"));
    errorBox.hidden = true;
    const address = addressFor(url);
    if (push) window.history.pushState(null, "", address);
    else window.history.replaceState(null, "", address);
  } catch (error) {
    if (error.name === "AbortError") return;
    render({ items: [], total: 0, page: 1, totalPages: 0, links: {} }, null);
    status.textContent = "";
    showError(`Could not load the articles: ${error.message}`);
  } finally {
    if (inFlight === controller) {
      inFlight = null;
      list.setAttribute("aria-busy", "false");
    }
  }
}

function render(page, query) {
  list.replaceChildren(...page.items.map(card));
  const count = `${page.total} article${page.total === 1 ? "" : "s"}`;
  status.textContent = query ? `${count} for “${query}”` : count;
  if (page.total === 0) status.textContent = query ? `No article matches “${query}”.` : "No articles.";
  pageLabel.textContent = page.totalPages ? `Page ${page.page} of ${page.totalPages}` : "";
  links = page.links;
  prevButton.disabled = !links.prev;
  nextButton.disabled = !links.next;
}

/** One article as a card. Text goes in as text; only the API's highlights are HTML. */
function card(item) {
  const node = cardTemplate.content.firstElementChild.cloneNode(true);
  node.dataset.id = item.id;
  const highlight = item.highlight || {};

  const link = node.querySelector(".link");
  if (typeof highlight.title === "string") link.innerHTML = highlight.title;
  else link.textContent = item.title;
  const href = httpUrl(item.webUrl);
  if (href) link.href = href;

  const excerpt = node.querySelector(".excerpt");
  if (typeof highlight.excerpt === "string") excerpt.innerHTML = highlight.excerpt;
  else excerpt.textContent = item.excerpt || "";

  node.querySelector(".provider").textContent = item.provider ? item.provider.name : "";
  const time = node.querySelector(".date");
  if (item.publishedDateTime) {
    time.dateTime = item.publishedDateTime;
    time.textContent = dateFormat.format(new Date(item.publishedDateTime));
  }

  const topics = node.querySelector(".topics");
  for (const topic of item.topics || []) {
    const chip = document.createElement("button");
    chip.type = "button";
    chip.className = "chip";
    chip.dataset.topic = topic.id;
    chip.textContent = topic.name;
    chip.title = `Only ${topic.name}`;
    const entry = document.createElement("li");
    entry.append(chip);
    topics.append(entry);
  }

  // Images live on the publishers' sites (https only: the page's CSP allows img-src https:).
  const src = item.image && httpUrl(item.image.url, true);
  if (src) {
    const img = node.querySelector(".thumb");
    img.addEventListener("error", () => { img.hidden = true; });
    img.src = src;
    img.hidden = false;
  }
  return node;
}

/** The filters changed: back to their first page. */
function applyFilters({ push = true } = {}) {
  const state = { page: "" };
  for (const name of FILTERS) state[name] = controls[name].value.trim();
  return show(listUrl(state), { push });
}

let typing = null;
form.addEventListener("submit", (event) => {
  event.preventDefault();
  clearTimeout(typing);
  applyFilters();
});
controls.q.addEventListener("input", () => {
  clearTimeout(typing);
  typing = setTimeout(applyFilters, 300);
});
controls.topic.addEventListener("change", () => applyFilters());
controls.provider.addEventListener("change", () => applyFilters());
prevButton.addEventListener("click", () => links.prev && show(links.prev, { push: true }));
nextButton.addEventListener("click", () => links.next && show(links.next, { push: true }));
list.addEventListener("click", (event) => {
  const chip = event.target.closest(".chip");
  if (!chip) return;
  controls.topic.value = chip.dataset.topic;
  applyFilters();
});
window.addEventListener("popstate", () => {
  const state = stateFromLocation();
  setControls(state);
  show(listUrl(state));
});

async function start() {
  const state = stateFromLocation();
  try {
    await Promise.all([
      fillSelect(controls.topic, "topics"),
      fillSelect(controls.provider, "providers"),
    ]);
  } catch (error) {
    showError(`Could not load the filters: ${error.message}`);
  }
  setControls(state);
  await show(listUrl(state));
}

start();
