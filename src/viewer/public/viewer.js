// The page: a websocket to the server (/ws), the 3-D view, the command box and the attention panel.
// window.viewer exposes the state for tests and for poking at in the console.
import { AttentionPanel } from './AttentionPanel.js';
import { SceneView } from './SceneView.js';

const $ = (id) => document.getElementById(id);
const el = {
  connection: $('connection'),
  policyLabel: $('policy-label'),
  form: $('command-form'),
  command: $('command'),
  reading: $('reading'),
  driver: $('driver'),
  stop: $('stop'),
  seed: $('seed'),
  newScene: $('new-scene'),
  reset: $('reset'),
  sceneFile: $('scene-file'),
  status: $('status'),
  error: $('error'),
  words: $('words'),
  layer: $('layer'),
  head: $('head'),
  camera: $('camera'),
};

const view = new SceneView($('view3d'), $('webgl-message'));
const panel = new AttentionPanel($('attention'), $('attention-note'));
const state = { hello: null, scene: null, requested: false, episode: 0, status: null, frames: 0, errors: [], pinned: null, socket: null };
window.viewer = { state, view, panel };
document.body.dataset.webgl = view.webgl ? 'yes' : 'no';

function setOptions(select, options) {
  const old = select.value;
  select.replaceChildren(...options.map(([value, label]) => new Option(label, value)));
  if (options.some(([v]) => v === old)) select.value = old;
}

function showError(message) {
  el.error.textContent = message;
  el.error.hidden = !message;
  if (message) state.errors.push(message);
}

function showStatus(s) {
  state.status = s;
  el.status.dataset.state = s.state;
  const who = s.driver ? ` (${s.driver === 'policy' ? 'policy' : 'scripted expert'})` : '';
  const text = {
    ready: 'ready: type a command and press Run',
    running: `running${who}`,
    success: `success${who}`,
    failure: `failure${who}: ${s.reason}`,
    stopped: 'stopped',
  }[s.state];
  el.status.textContent = `${text} · step ${s.step} · ${s.time.toFixed(2)} s`;
}

// The user's own words (a free-form or Korean command): each selects the map of the first policy token that fills
// the same part of the command; words the reading ignored select nothing.
function userWordChips(panels) {
  return panels.map((p) => {
    const chip = document.createElement('span');
    chip.className = 'word' + (p.tokens.length ? '' : ' ignored');
    chip.textContent = p.label;
    if (!p.tokens.length) {
      chip.title = 'ignored: not part of what the policy reads';
      return chip;
    }
    const i = p.tokens[0];
    const label = `${p.label}" (as "${state.tokens[i] ?? ''}`;
    chip.dataset.index = String(i);
    chip.dataset.label = label;
    chip.addEventListener('mouseenter', () => selectWord(i, label));
    chip.addEventListener('mouseleave', () => selectWord(state.pinned ?? 0));
    chip.addEventListener('click', () => {
      state.pinned = state.pinned === i ? null : i;
      selectWord(i, label);
    });
    return chip;
  });
}

function showWords(attention, reading) {
  panel.setWords(attention);
  const words = attention ? attention.words : [];
  state.tokens = words;
  if (attention && reading && reading.panels) {
    el.words.replaceChildren(...userWordChips(reading.panels));
    selectWord(state.pinned ?? 0);
    return;
  }
  const unknown = new Set(attention ? attention.unknown : []);
  const chips = words.map((w, i) => {
    const chip = document.createElement('span');
    chip.className = 'word' + (unknown.has(w) ? ' unknown' : '');
    chip.textContent = w;
    chip.dataset.index = String(i);
    if (unknown.has(w)) chip.title = 'the policy\'s tokenizer does not know this word';
    chip.addEventListener('mouseenter', () => selectWord(i));
    chip.addEventListener('mouseleave', () => selectWord(state.pinned ?? 0));
    chip.addEventListener('click', () => {
      state.pinned = state.pinned === i ? null : i;
      selectWord(i);
    });
    return chip;
  });
  if (unknown.size) {
    const legend = document.createElement('span');
    legend.className = 'small legend';
    legend.textContent = 'struck through: unknown to the policy\'s tokenizer (read as [UNK])';
    chips.push(legend);
  }
  if (attention && attention.dropped.length) {
    const more = document.createElement('span');
    more.className = 'small';
    more.textContent = ` (cut off: ${attention.dropped.join(' ')})`;
    chips.push(more);
  }
  el.words.replaceChildren(...chips);
  if (state.pinned !== null && state.pinned >= words.length) state.pinned = null;
  selectWord(state.pinned ?? 0);
}

function selectWord(i, label = null) {
  for (const c of el.words.querySelectorAll('.word')) c.classList.toggle('selected', c.dataset.index !== undefined && Number(c.dataset.index) === i);
  panel.select({ word: i, label });
}

function onHello(m) {
  state.hello = m;
  setOptions(el.driver, m.drivers.map((d) => [d, d === 'policy' ? `policy (${m.policy.label})` : 'scripted expert']));
  setOptions(el.sceneFile, [['', 'random (from the seed)'], ...m.scenes.map((s) => [s, s])]);
  el.policyLabel.textContent = m.policy ? `policy: ${m.policy.label}` : 'no policy';
  panel.setPolicy(m.policy, m.note);
  $('attention-controls').hidden = !m.policy;
  if (m.policy) {
    setOptions(el.layer, [...Array(m.policy.layers).keys()].map((l) => [String(l), String(l)]));
    el.layer.value = String(m.policy.layers - 1);
    setOptions(el.head, [['avg', 'mean'], ...[...Array(m.policy.heads).keys()].map((h) => [String(h), String(h)])]);
    setOptions(el.camera, m.policy.cameras.map((c, i) => [String(i), c]));
    panel.select({ layer: Number(el.layer.value), head: el.head.value, camera: 0 });
  }
}

function onScene(m) {
  state.episode = m.episode;
  state.scene = { seed: m.seed, scene: m.scene };
  view.setScene(m);
  // Show the scene's command, unless someone else's episode arrives while this user is typing one.
  if (state.requested || document.activeElement !== el.command || !el.command.value.trim()) el.command.value = m.reading ? m.reading.text : m.command;
  el.reading.textContent = m.reading ? m.reading.summary : '';
  state.requested = false;
  el.seed.value = String(m.seed);
  el.sceneFile.value = m.scene ?? '';
  showWords(m.attention, m.reading);
  showStatus(m.status);
}

function onFrame(m) {
  if (m.episode !== state.episode) return;
  state.frames++;
  view.applyFrame(m);
  panel.setFrame(m.attention);
  showStatus(m.status);
}

function onMessage(event) {
  let m;
  try {
    m = JSON.parse(event.data);
  } catch {
    return;
  }
  if (m.type === 'hello') onHello(m);
  else if (m.type === 'scene') {
    showError('');
    onScene(m);
  } else if (m.type === 'frame') onFrame(m);
  else if (m.type === 'error') {
    showError(m.message);
    state.requested = false;
    // A refused reset changed nothing: show the scene and seed that are still on the table.
    if (m.op === 'reset' && state.scene) {
      el.seed.value = String(state.scene.seed);
      el.sceneFile.value = state.scene.scene ?? '';
    }
  }
}

function connect() {
  const ws = new WebSocket(`${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/ws`);
  state.socket = ws;
  el.connection.dataset.state = 'connecting';
  el.connection.textContent = 'connecting…';
  ws.addEventListener('open', () => {
    el.connection.dataset.state = 'open';
    el.connection.textContent = 'connected';
  });
  ws.addEventListener('message', onMessage);
  ws.addEventListener('close', () => {
    el.connection.dataset.state = 'closed';
    el.connection.textContent = 'disconnected: retrying…';
    setTimeout(connect, 1000);
  });
}

function send(message) {
  const ws = state.socket;
  if (!ws || ws.readyState !== WebSocket.OPEN) return showError('not connected to the server');
  ws.send(JSON.stringify(message));
  if (message.op === 'run' || message.op === 'reset') state.requested = true;
}

function seedValue() {
  const n = Number(el.seed.value);
  return Number.isInteger(n) && n >= 0 ? n : 0;
}

el.form.addEventListener('submit', (e) => {
  e.preventDefault();
  const command = el.command.value.trim();
  if (!command) return showError('type a command, e.g. "pick up the red ball"');
  showError('');
  send({ op: 'run', command, driver: el.driver.value, seed: seedValue(), scene: el.sceneFile.value || null });
});
el.stop.addEventListener('click', () => send({ op: 'stop' }));
el.reset.addEventListener('click', () => send({ op: 'reset', seed: seedValue(), scene: el.sceneFile.value || null, command: el.command.value.trim() || null }));
el.newScene.addEventListener('click', () => {
  el.seed.value = String(Math.floor(Math.random() * 1e6));
  send({ op: 'reset', seed: seedValue(), scene: el.sceneFile.value || null, command: el.command.value.trim() || null });
});
// A new scene file comes with its own command (picking up its first object); type another after.
el.sceneFile.addEventListener('change', () => send({ op: 'reset', seed: seedValue(), scene: el.sceneFile.value || null, command: null }));
$('view-home').addEventListener('click', () => view.lookFrom(view.home));
$('view-policy').addEventListener('click', () => view.lookFrom(view.policyCamera));
el.layer.addEventListener('change', () => panel.select({ layer: Number(el.layer.value) }));
el.head.addEventListener('change', () => panel.select({ head: el.head.value }));
el.camera.addEventListener('change', () => panel.select({ camera: Number(el.camera.value) }));

connect();
