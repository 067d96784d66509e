// The API client of the console. The token lives in sessionStorage (gone when the
// tab closes), is sent in the X-Dxtrain-Token header and never in a URL, and no
// cookie is used: a page on another site cannot make the browser send it.

const KEY = 'dxtrain-token';

export const session = {
  get token() { return sessionStorage.getItem(KEY) || ''; },
  signIn(token) { sessionStorage.setItem(KEY, token); },
  signOut() { sessionStorage.removeItem(KEY); },
};

export class ApiError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

// api calls one endpoint and returns {data, index}: the JSON body and the store's
// index the answer reflects (for blocking queries).
export async function api(path, {method = 'GET', body, signal} = {}) {
  const headers = {'X-Dxtrain-Token': session.token};
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  const res = await fetch(path, {
    method, headers, signal, cache: 'no-store', credentials: 'omit',
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (!res.ok) {
    let msg = res.statusText;
    try { msg = (await res.json()).error || msg; } catch { /* not JSON */ }
    if (res.status === 401) {
      session.signOut();
      window.dispatchEvent(new Event('dxtrain-signed-out'));
    }
    throw new ApiError(res.status, msg);
  }
  return {data: await res.json(), index: Number(res.headers.get('X-Dxtrain-Index') || 0)};
}

export const get = async (path, signal) => (await api(path, {signal})).data;
export const post = async (path, body) => (await api(path, {method: 'POST', body})).data;

const sleep = (ms, signal) => new Promise(resolve => {
  const t = setTimeout(resolve, ms);
  signal.addEventListener('abort', () => { clearTimeout(t); resolve(); }, {once: true});
});

// minGapMs paces a watch: a page asks again at most once a second, however often the
// store moves. A run's reports can move it ten times a second per run; a person
// reading a curve needs no more than one redraw a second, and twenty open consoles
// would otherwise make the coordinator answer two hundred queries a second.
const minGapMs = 1000;

// watch follows a read endpoint with blocking queries (?index=N&wait=25s): onData
// runs with each new answer, without a reload, until signal aborts. Errors go to
// onError and the watch retries after a pause. path may be a function, asked before
// each request (to carry what the page already has).
export async function watch(path, signal, onData, onError) {
  let index = 0;
  while (!signal.aborted) {
    const p = typeof path === 'function' ? path() : path;
    const sep = p.includes('?') ? '&' : '?';
    const asked = Date.now();
    try {
      const r = await api(index ? `${p}${sep}index=${index}&wait=25s` : p, {signal});
      if (r.index !== index || !index) {
        index = r.index;
        onData(r.data);
      }
      await sleep(minGapMs - (Date.now() - asked), signal);
    } catch (err) {
      if (signal.aborted) return;
      if (onError) onError(err);
      await sleep(2000, signal);
    }
  }
}
