// /explore: an example front-end over this server's API, in plain JavaScript.
//
// Copy what you need. It uses only what any client has:
// - GET /articles with filters, `q` + `highlight=true` for search, `facets=` for the counts
//   beside the filters; the total from the `X-Total-Count` header and the next and
//   previous pages from the `Link` header (CORS exposes both to other origins too);
// - GET /suggest while typing (debounced, cancelled when stale), an ARIA combobox;
// - GET /articles/{id} (its `bodyHtml`, images, related items) and /articles/{id}/similar;
// - /topics and /providers for the select boxes, walked by `links.next`.
// Caching: fetch() goes through the browser's HTTP cache, which keeps each response for
// its `Cache-Control: max-age` and then revalidates it with its `ETag` (If-None-Match →
// 304), so a page seen again costs a few bytes. Nothing here has to do that by hand.
// Errors: every 4xx/5xx is an RFC 9457 problem document; its `detail` is shown to the
// reader with its `requestId`, which finds the request in the server's log.
// Safety: no inline script or event handler anywhere (the page's Content-Security-Policy
// allows none). Text from the API goes in as text; only the search highlights (escaped
// HTML with <mark>) and `bodyHtml` (sanitized by the API) go in as HTML.
// State: everything a view needs is in the page's address (?q=…&topic=…&page=2, and
// &article=… for an article opened from that list); links carry it, history.pushState
// keeps it, back and forward restore it, a shared link shows the same view.
"use strict";

const PAGE_SIZE = 10;
const FILTERS = ["q", "topic", "provider", "category", "year"];
const FACETS = ["topic", "provider", "category", "year"];
const FACET_TITLES = { topic: "Topic", provider: "Provider", category: "Category", year: "Year" };
const STATE_KEYS = [...FILTERS, "page", "article"];

const $ = (id) => document.getElementById(id);
const form = $("filters");
const controls = { q: $("q"), topic: $("topic"), provider: $("provider") };
const suggestions = $("suggestions");
const status = $("status");
const errorBox = $("error");
const listView = $("list-view");
const list = $("articles");
const facetBox = $("facets");
const pageLabel = $("page");
const prevButton = $("prev");
const nextButton = $("next");
const feedLink = $("feed");
const articleView = $("article");
const cardTemplate = $("card");
const dateFormat = new Intl.DateTimeFormat("en", { dateStyle: "medium" });
const pageTitle = document.title;

let state = {}; // what is shown: the values of STATE_KEYS, "" when unset
let links = {}; // the list page's Link header: rel → URL
let inFlight = null; // the AbortController of the view's requests

// ---------------------------------------------------------------------------------------
// The API

/** An absolute URL of this API: a path relative to the page, and its non-empty parameters. */
function apiUrl(path, params = {}) {
  const url = new URL(path, document.baseURI);
  for (const [name, value] of Object.entries(params)) {
    if (value !== "" && value !== null && value !== undefined) url.searchParams.set(name, value);
  }
  return url.href;
}

/** GET some JSON. A problem document (any non-2xx) becomes an Error saying why. */
async function getJson(url, signal) {
  const response = await fetch(url, { headers: { Accept: "application/json" }, signal });
  const body = await response.json().catch(() => null);
  if (!response.ok) {
    const why = body && body.detail ? body.detail : response.statusText;
    const id = body && body.requestId ? ` (request ${body.requestId})` : "";
    throw new Error(`${response.status} ${why}${id}`);
  }
  return { body, headers: response.headers };
}

/** `Link: <url>; rel="next", …` as {next: url, …}. */
function parseLinks(header) {
  const found = {};
  for (const part of (header || "").split(/,\s*(?=<)/)) {
    const match = /^<([^>]*)>\s*;\s*rel="?([^";]+)"?/.exec(part);
    if (match) for (const rel of match[2].split(/\s+/)) found[rel] = match[1];
  }
  return found;
}

/** The filters as API parameters (a year is a from/to range). */
function filterParams(s) {
  return {
    q: s.q,
    topic: s.topic,
    provider: s.provider,
    category: s.category,
    from: s.year ? `${s.year}-01-01` : "",
    to: s.year ? `${s.year}-12-31` : "",
  };
}

/** The list request for a state: a page of PAGE_SIZE with the facet counts. */
function listUrl(s) {
  return apiUrl("articles", {
    ...filterParams(s),
    highlight: s.q ? "true" : "",
    facets: FACETS.join(","),
    facetSize: 8,
    page: s.page && s.page !== "1" ? s.page : "",
    pageSize: PAGE_SIZE,
  });
}

/** Only http(s) URLs are used: an article's URL never becomes a javascript: link. */
function httpUrl(value, httpsOnly = false) {
  try {
    const url = new URL(value);
    const ok = httpsOnly ? url.protocol === "https:" : /^https?:$/.test(url.protocol);
    return ok ? url.href : null;
  } catch {
    return null;
  }
}

// ---------------------------------------------------------------------------------------
// State in the address

function stateFrom(search) {
  const params = new URLSearchParams(search);
  return Object.fromEntries(STATE_KEYS.map((key) => [key, params.get(key) || ""]));
}

/** The page's own address for a state, e.g. explore?topic=ai&page=2. */
function addressFor(s) {
  const params = new URLSearchParams();
  for (const key of STATE_KEYS) {
    if (s[key] && !(key === "page" && s[key] === "1")) params.set(key, s[key]);
  }
  const query = params.toString();
  return query ? `explore?${query}` : "explore";
}

/** Show a state; `push` adds it to the browser's history (a link followed, a filter set). */
function navigate(next, { push = true } = {}) {
  const address = addressFor(next);
  if (push) window.history.pushState(null, "", address);
  else window.history.replaceState(null, "", address);
  return show(next);
}

/** The list with these filters changed, from its first page. */
function filtered(changes) {
  return navigate({ ...state, ...changes, page: "", article: "" });
}

function setControls(s) {
  for (const name of Object.keys(controls)) controls[name].value = s[name];
}

function showError(message) {
  errorBox.textContent = message;
  errorBox.hidden = !message;
}

async function show(next) {
  state = next;
  setControls(state);
  closeSuggestions();
  if (inFlight) inFlight.abort();
  const controller = (inFlight = new AbortController());
  feedLink.href = apiUrl("articles/feed.atom", filterParams(state));
  listView.hidden = Boolean(state.article);
  articleView.hidden = !state.article;
  document.title = pageTitle;
  try {
    if (state.article) await showArticle(state.article, controller.signal);
    else await showList(controller.signal);
    showError("");
  } catch (error) {
    if (error.name === "AbortError") return;
    if (!state.article) renderList([], 0, {}, {});
    status.textContent = "";
    showError(`Could not load the ${state.article ? "article" : "articles"}: ${error.message}`);
  } finally {
    if (inFlight === controller) {
      inFlight = null;
      list.setAttribute("aria-busy", "false");
    }
  }
}

// ---------------------------------------------------------------------------------------
// The list: cards, facet counts, pages

async function showList(signal) {
  list.setAttribute("aria-busy", "true");
  const { body, headers } = await getJson(listUrl(state), signal);
  const total = Number(headers.get("X-Total-Count"));
  renderList(body.items, total, parseLinks(headers.get("Link")), body.facets || {});
  const count = `${total} article${total === 1 ? "" : "s"}`;
  if (total === 0) status.textContent = state.q ? `No article matches “${state.q}”.` : "No articles.";
  else status.textContent = state.q ? `${count} for “${state.q}”` : count;
}

function renderList(items, total, pageLinks, facets) {
  list.replaceChildren(...items.map(card));
  const pages = Math.ceil(total / PAGE_SIZE);
  pageLabel.textContent = pages ? `Page ${state.page || 1} of ${pages}` : "";
  links = pageLinks;
  prevButton.disabled = !links.prev;
  nextButton.disabled = !links.next;
  renderFacets(facets);
}

/** One article as a card: its title opens it here, its provider at the publisher. */
function card(item) {
  const node = cardTemplate.content.firstElementChild.cloneNode(true);
  node.dataset.id = item.id;
  const highlight = item.highlight || {};

  const link = node.querySelector(".link");
  if (typeof highlight.title === "string") link.innerHTML = highlight.title;
  else link.textContent = item.title;
  link.href = addressFor({ ...state, article: item.id });

  const excerpt = node.querySelector(".excerpt");
  if (typeof highlight.excerpt === "string") excerpt.innerHTML = highlight.excerpt;
  else excerpt.textContent = item.excerpt || "";

  fillMeta(node, item);
  node.querySelector(".topics").append(...topicChips(item.topics));
  const src = item.image && httpUrl(item.image.url, true);
  if (src) showImage(node.querySelector(".thumb"), src);
  return node;
}

function fillMeta(node, item) {
  const provider = node.querySelector(".provider");
  provider.textContent = item.provider ? item.provider.name : "";
  const href = httpUrl(item.webUrl);
  const original = node.querySelector(".source, .original");
  if (href) original.href = href;
  const time = node.querySelector(".date");
  if (item.publishedDateTime) {
    time.dateTime = item.publishedDateTime;
    time.textContent = dateFormat.format(new Date(item.publishedDateTime));
  }
}

/** Topic buttons that filter the list by their topic. */
function topicChips(topics) {
  return (topics || []).map((topic) => {
    const chip = document.createElement("button");
    chip.type = "button";
    chip.className = "chip";
    chip.dataset.topic = topic.id;
    chip.textContent = topic.name;
    chip.title = `Only ${topic.name}`;
    const entry = document.createElement("li");
    entry.append(chip);
    return entry;
  });
}

/** Images live on the publishers' sites (https only: the CSP allows img-src https:). */
function showImage(img, src) {
  img.addEventListener("error", () => { img.hidden = true; });
  img.src = src;
  img.hidden = false;
}

/** The counts of the whole result set beside each filter: click a value to filter by it. */
function renderFacets(facets) {
  const groups = FACETS.filter((name) => facets[name] && facets[name].length).map((name) => {
    const values = [...facets[name]];
    if (name === "year") values.sort((a, b) => b.id.localeCompare(a.id));
    const group = document.createElement("div");
    group.className = "facet";
    const heading = document.createElement("h3");
    heading.id = `facet-${name}`;
    heading.textContent = FACET_TITLES[name];
    const items = document.createElement("ul");
    items.setAttribute("aria-labelledby", heading.id);
    for (const value of values) {
      const button = document.createElement("button");
      button.type = "button";
      button.dataset.facet = name;
      button.dataset.value = value.id;
      const active = state[name].toLowerCase() === value.id.toLowerCase();
      button.setAttribute("aria-pressed", String(active));
      const label = document.createElement("span");
      label.textContent = value.name;
      const count = document.createElement("span");
      count.className = "count";
      count.textContent = value.count.toLocaleString("en");
      button.append(label, " ", count);
      const entry = document.createElement("li");
      entry.append(button);
      items.append(entry);
    }
    group.append(heading, items);
    return group;
  });
  facetBox.replaceChildren(facetBox.firstElementChild, ...groups);
}

// ---------------------------------------------------------------------------------------
// One article: its body, images, related items and similar articles

async function showArticle(id, signal) {
  const path = `articles/${encodeURIComponent(id)}`;
  const [{ body: article }, similar] = await Promise.all([
    getJson(apiUrl(path), signal),
    getJson(apiUrl(`${path}/similar`, { pageSize: 5 }), signal).catch((error) => {
      if (error.name === "AbortError") throw error;
      return { body: { items: [] } }; // similar articles are a bonus: the article still shows
    }),
  ]);
  const title = $("article-title");
  title.textContent = article.title;
  document.title = `${article.title} · Explore the news`;
  fillMeta(articleView, article);
  articleView.querySelector(".topics").replaceChildren(...topicChips(article.topics));
  const images = (article.images || []).map((image) => {
    const src = httpUrl(image.url, true);
    if (!src) return null;
    const img = document.createElement("img");
    img.alt = "";
    img.referrerPolicy = "no-referrer";
    if (image.width && image.height) [img.width, img.height] = [image.width, image.height];
    showImage(img, src);
    return img;
  });
  articleView.querySelector(".images").replaceChildren(...images.filter(Boolean));
  // bodyHtml is sanitized by the API (no scripts, handlers or styles; http(s) links only).
  articleView.querySelector(".body").innerHTML = article.bodyHtml || "";
  $("related").replaceChildren(...linkItems(article.related, "No related items."));
  $("similar").replaceChildren(...linkItems(similar.body.items, "No similar articles."));
  $("back").href = addressFor({ ...state, article: "" });
  status.textContent = "";
  window.scrollTo(0, 0);
  title.focus();
}

/** Items as links: to their article here when the API knows it (an `id`), else outside. */
function linkItems(items, none) {
  if (!items || !items.length) {
    const entry = document.createElement("li");
    entry.textContent = none;
    return [entry];
  }
  return items.map((item) => {
    const link = document.createElement("a");
    link.textContent = item.title;
    if (item.id) {
      link.href = addressFor({ ...state, article: item.id });
      link.className = "app-link";
    } else if (httpUrl(item.webUrl)) {
      link.href = httpUrl(item.webUrl);
      link.rel = "noopener noreferrer";
      link.className = "external"; // elsewhere on the web: marked ↗ by the stylesheet
    }
    const entry = document.createElement("li");
    entry.dataset.id = item.id || "";
    const where = document.createElement("span");
    where.className = "where";
    where.textContent = item.provider ? ` · ${item.provider.name}` : "";
    entry.append(link, where);
    return entry;
  });
}

// ---------------------------------------------------------------------------------------
// Suggestions as you type: an ARIA combobox (arrows move, Enter picks, Escape closes)

const SUGGEST_DELAY = 150; // ms of quiet typing before asking
let suggestTimer = null;
let suggestController = null;
let options = []; // the suggestions shown
let active = -1; // the one the arrows are on

function closeSuggestions() {
  clearTimeout(suggestTimer);
  if (suggestController) suggestController.abort();
  options = [];
  active = -1;
  suggestions.hidden = true;
  suggestions.replaceChildren();
  controls.q.setAttribute("aria-expanded", "false");
  controls.q.removeAttribute("aria-activedescendant");
}

async function suggest(text) {
  if (suggestController) suggestController.abort();
  const controller = (suggestController = new AbortController());
  try {
    const { body } = await getJson(apiUrl("suggest", { q: text, limit: 8 }), controller.signal);
    if (controller.signal.aborted) return;
    options = body.items;
    active = -1;
    suggestions.replaceChildren(
      ...options.map((item, i) => {
        const option = document.createElement("li");
        option.id = `suggestion-${i}`;
        option.setAttribute("role", "option");
        option.setAttribute("aria-selected", "false");
        option.dataset.index = i;
        const kind = document.createElement("span");
        kind.className = "kind";
        kind.textContent = item.type;
        option.append(item.text, " ", kind);
        return option;
      })
    );
    suggestions.hidden = !options.length;
    controls.q.setAttribute("aria-expanded", String(options.length > 0));
  } catch (error) {
    if (error.name !== "AbortError") closeSuggestions(); // a bad prefix: just no suggestions
  }
}

function moveTo(index) {
  active = (index + options.length) % options.length;
  for (const option of suggestions.children) {
    option.setAttribute("aria-selected", String(Number(option.dataset.index) === active));
  }
  controls.q.setAttribute("aria-activedescendant", `suggestion-${active}`);
  suggestions.children[active].scrollIntoView({ block: "nearest" });
}

/** A topic or provider filters the list; an article opens. */
function pick(item) {
  closeSuggestions();
  if (item.type === "article") navigate({ ...state, article: item.id });
  else filtered({ q: "", [item.type]: item.id });
}

controls.q.addEventListener("input", () => {
  clearTimeout(suggestTimer);
  const text = controls.q.value.trim();
  if (!text) return closeSuggestions();
  suggestTimer = setTimeout(() => suggest(text), SUGGEST_DELAY);
});
controls.q.addEventListener("keydown", (event) => {
  if (event.key === "ArrowDown" || event.key === "ArrowUp") {
    if (!options.length) return;
    event.preventDefault();
    moveTo(active + (event.key === "ArrowDown" ? 1 : -1));
  } else if (event.key === "Enter" && active >= 0) {
    event.preventDefault();
    pick(options[active]);
  } else if (event.key === "Escape" && !suggestions.hidden) {
    event.preventDefault();
    closeSuggestions();
  }
});
controls.q.addEventListener("blur", () => setTimeout(closeSuggestions, 150));
suggestions.addEventListener("mousedown", (event) => event.preventDefault()); // keep focus
suggestions.addEventListener("click", (event) => {
  const option = event.target.closest("[role=option]");
  if (option) pick(options[Number(option.dataset.index)]);
});

// ---------------------------------------------------------------------------------------
// Everything else the reader does

form.addEventListener("submit", (event) => {
  event.preventDefault();
  filtered({ q: controls.q.value.trim() });
});
controls.topic.addEventListener("change", () => filtered({ topic: controls.topic.value }));
controls.provider.addEventListener("change", () => filtered({ provider: controls.provider.value }));
prevButton.addEventListener("click", () => links.prev && toPage(links.prev));
nextButton.addEventListener("click", () => links.next && toPage(links.next));
/** Follow a Link header URL: its page number goes in the address. */
function toPage(url) {
  return navigate({ ...state, page: new URL(url).searchParams.get("page") || "" });
}
document.addEventListener("click", (event) => {
  const chip = event.target.closest(".chip");
  if (chip) return filtered({ topic: chip.dataset.topic });
  const facet = event.target.closest("[data-facet]");
  if (facet) {
    const on = facet.getAttribute("aria-pressed") === "true";
    return filtered({ [facet.dataset.facet]: on ? "" : facet.dataset.value });
  }
  // Links within this page: a new history entry instead of a reload (a new tab still works).
  const link = event.target.closest("a.app-link");
  if (!link || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey) return;
  event.preventDefault();
  navigate(stateFrom(new URL(link.href).search));
});
window.addEventListener("popstate", () => show(stateFrom(window.location.search)));

/** Fill a select box with every topic or provider, walking the list by links.next. */
async function fillSelect(select, path) {
  let url = apiUrl(path, { sort: "name", pageSize: 100 });
  while (url) {
    const { body } = await getJson(url);
    for (const item of body.items) {
      select.add(new Option(`${item.name} (${item.articleCount})`, item.id));
    }
    url = body.links.next;
  }
}

async function start() {
  const first = stateFrom(window.location.search);
  const shown = show(first);
  try {
    await Promise.all([
      fillSelect(controls.topic, "topics"),
      fillSelect(controls.provider, "providers"),
    ]);
    setControls(state);
  } catch (error) {
    showError(`Could not load the filters: ${error.message}`);
  }
  await shown;
}

start();
