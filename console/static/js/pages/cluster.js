// Cluster: servers (leader, term, applied index), nodes with status, cordons and
// reasons, and each device's gauges over the last minutes from the agents' heartbeats.

import {h, mount, table, badge, time, bytes, errorBox} from '../dom.js';
import {get, watch} from '../api.js';
import {sparkline} from '../charts.js';
import {action, postTo, confirming} from '../actions.js';

// refreshMs is how often servers and gauges are read again: gauges ride heartbeats,
// which move no Raft index, so a blocking query would not see them change.
const refreshMs = 5000;

export async function render(main, _params, {signal, allowed}) {
  const servers = h('section', {id: 'servers'});
  const nodes = h('section', {id: 'nodes'});
  mount(main, h('h1', null, 'Cluster'), servers, nodes);
  const admin = allowed([]);
  let list = null;
  const showServers = async () => {
    try {
      const all = await get('/v1/operator/servers', signal);
      mount(servers, h('h2', null, 'Servers'), table(['server', 'role', 'term', 'applied index', 'HTTP', 'state'],
        all.map(s => [s.id, s.leader ? badge('leader') : (s.voter ? 'follower' : 'non-voter'), s.term || '',
          s.applied_index || '', s.http_addr || '', s.reachable ? badge('up') : h('span', {class: 'error'}, s.error || 'unreachable')])));
    } catch (err) {
      if (!signal.aborted) mount(servers, errorBox(err));
    }
  };
  const showNodes = async () => {
    if (!list || confirming(nodes)) return;
    const samples = await Promise.all(list.map(n => get(`/v1/nodes/${encodeURIComponent(n.id)}/samples`, signal).catch(() => ({devices: {}}))));
    if (signal.aborted || confirming(nodes)) return; // one may have opened while reading
    mount(nodes, h('h2', null, 'Nodes'), list.length ? list.map((n, i) => node(n, samples[i], admin)) : h('p', {class: 'muted'}, 'No node has registered.'));
  };
  showServers();
  watch('/v1/nodes', signal, l => { list = l; showNodes(); }, err => mount(nodes, errorBox(err)));
  const timer = setInterval(() => { showServers(); showNodes(); }, refreshMs);
  signal.addEventListener('abort', () => clearInterval(timer));
}

function node(n, samples, admin) {
  const id = encodeURIComponent(n.id);
  return h('div', {class: 'card node', 'data-node': n.id},
    h('h3', null, n.name, ' ', badge(n.status), ' ',
      admin ? action(n.drain ? 'Undrain' : 'Drain', {confirmText: `${n.drain ? 'Undrain' : 'Drain'} node ${n.name}?`,
        run: postTo(`/v1/nodes/${id}/drain`, {enable: !n.drain})}) : null),
    n.status_reason ? h('p', {class: 'muted'}, n.status_reason, ' · since ', time(n.status_updated_at)) : null,
    table(['device', 'kind', 'health', 'utilisation', 'memory', 'temperature', 'power', ''],
      n.devices.map(d => {
        const ring = (samples.devices || {})[d.id] || [];
        const last = ring[ring.length - 1] || {};
        return [
          h('span', {title: d.id}, d.name || d.id),
          d.kind,
          h('span', null, badge(d.cordoned ? 'cordoned' : d.health), ' ', (d.reasons || []).join('; '), d.cordon_reason ? ` (${d.cordon_reason})` : ''),
          gauge(ring.map(r => r.utilization_pct), 100, `${last.utilization_pct ?? '–'} %`, 'utilisation'),
          gauge(ring.map(r => r.memory_used_bytes), last.memory_total_bytes, last.memory_total_bytes ? `${bytes(last.memory_used_bytes)} of ${bytes(last.memory_total_bytes)}` : '–', 'memory'),
          gauge(ring.map(r => r.temperature_c), 100, last.temperature_c ? `${last.temperature_c} °C` : '–', 'temperature'),
          gauge(ring.map(r => r.power_watts), Math.max(1, ...ring.map(r => r.power_watts)), last.power_watts ? `${last.power_watts.toFixed(0)} W` : '–', 'power'),
          admin && d.cordoned ? action('Uncordon', {confirmText: `Uncordon ${d.name || d.id}?`, run: postTo(`/v1/nodes/${id}/uncordon`, {device_id: d.id})}) : '',
        ];
      })));
}

function gauge(values, max, text, what) {
  return h('span', {class: 'gauge', 'data-gauge': what, 'data-samples': values.length}, values.length > 1 ? sparkline(values, max, what) : null, ' ', text);
}
