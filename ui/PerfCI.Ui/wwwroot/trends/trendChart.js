// The trends chart: uPlot (canvas) drawing a series' medians with their trial spread as a band,
// change points and alerts as markers; drag to zoom, wheel to zoom, shift+wheel to pan, double-click
// to reset, hover for the commit, click to open its run. Measured against the alternatives in
// docs/dashboard.md: canvas keeps 10,000 points smooth where SVG does not.
//
// The points do not cross the page's circuit: the chart reads them from the server's JSON endpoint
// (compressed) named by its element's data-trend-src. The dashboard loads this module with every
// page; when a page's prerendered HTML holds a trends chart, the module reads and draws it at once,
// while Blazor's circuit starts. The circuit then renders the page again (a new element): render()
// moves the chart already drawn into it rather than reading and drawing it twice.

const base = document.querySelector('base')?.getAttribute('href') ?? '/';
let loading;

function loadUPlot() {
    if (window.uPlot) return Promise.resolve();
    loading ??= new Promise((resolve, reject) => {
        const css = document.createElement('link');
        css.rel = 'stylesheet';
        css.href = base + '_content/PerfCI.Ui/lib/uplot/uPlot.min.css';
        document.head.appendChild(css);
        const script = document.createElement('script');
        script.src = base + '_content/PerfCI.Ui/lib/uplot/uPlot.iife.min.js';
        script.onload = resolve;
        script.onerror = () => reject(new Error('uPlot did not load'));
        document.head.appendChild(script);
    });
    return loading;
}

const palette = ['#1e88e5', '#e53935', '#43a047', '#8e24aa', '#fb8c00', '#00897b', '#6d4c41', '#3949ab'];
const markerColor = { regression: '#d32f2f', improvement: '#2e7d32', no_data: '#757575' };

function fmt(v) {
    if (v == null || !isFinite(v)) return '–';
    const a = Math.abs(v);
    return a >= 1000 ? v.toFixed(0) : a >= 10 ? v.toFixed(2) : v.toPrecision(3);
}

function day(seconds) {
    return new Date(seconds * 1000).toISOString().slice(0, 10);
}

function escape(text) {
    return String(text).replace(/[&<>"]/g, c => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]);
}

/** Charts drawn from the prerendered page (promises of their state), by their data's address, until render() takes them. */
const early = new Map();

/**
 * Reads a chart's data: the model (TrendChartModel as JSON) and the server's query time. A fetch as
 * plain as the prerendered page's <link rel=preload as=fetch crossorigin=anonymous>, so that it takes
 * the preloaded answer.
 */
async function read(src) {
    const response = await fetch(new URL(src, document.baseURI));
    if (!response.ok) {
        let detail = '';
        try { const problem = await response.json(); detail = problem.detail ?? problem.title ?? ''; } catch { /* not problem details */ }
        throw new Error(`The chart's data could not be read: ${response.status}${detail ? ' ' + detail : ''}`);
    }
    const timing = /(?:^|,)\s*db;[^,]*dur=([0-9.]+)/.exec(response.headers.get('Server-Timing') ?? '');
    return { model: await response.json(), queryMs: timing ? Number(timing[1]) : null };
}

function summaryOf(model) {
    return {
        points: model.positions.length,
        changePoints: model.markers.filter(m => m.type === 'change').length,
        alerts: model.markers.filter(m => m.type === 'alert').length,
    };
}

/**
 * Draws the chart of src into host and returns what it drew ({ points, changePoints, alerts }),
 * or null when a later render() of the same host replaced it meanwhile. Rejects when the data
 * cannot be read.
 */
export async function render(host, src) {
    const token = host._token = {};
    const drawnEarly = early.get(src);
    early.delete(src);
    const state = drawnEarly ? await drawnEarly : null;
    if (host._token !== token) return null;
    if (state) {
        if (state.host !== host) adopt(state, host);
        return state.summary;
    }
    return (await draw(host, read(src), token))?.summary ?? null;
}

/** The chart drawn into the prerendered element moves into the element the circuit rendered. */
function adopt(state, host) {
    const from = state.host;
    state.observer?.disconnect();
    state.observer = null;
    dispose(host);
    host.replaceChildren(...from.childNodes);
    host.style.position = 'relative';
    for (const key of ['queryMs', 'drawMs', 'paintedAt', 'points']) {
        if (from.dataset[key] !== undefined) host.dataset[key] = from.dataset[key];
    }
    from._resize?.disconnect();
    from._chart = from._resize = from._state = null;
    host.dataset.adoptedAt = performance.now().toFixed(1);
    state.host = host;
    host._state = state;
    host._chart = state.chart;
    if (state.chart) {
        host._resize = observeSize(state);
        state.chart.syncRect?.(true);
    }
}

function observeSize(state) {
    const observer = new ResizeObserver(() => {
        const host = state.host, chart = state.chart;
        // An element Blazor just took out of the page measures 0: not a size to draw at.
        if (!host.isConnected || host.clientWidth === 0) return;
        const width = Math.max(320, host.clientWidth);
        if (Math.abs(width - chart.width) > 1) chart.setSize({ width, height: 420 });
    });
    observer.observe(state.host);
    return observer;
}

async function draw(host, reading, token) {
    const [{ model, queryMs }] = await Promise.all([reading, loadUPlot()]);
    if (token !== undefined && host._token !== token) return null;
    const started = performance.now();
    dispose(host);
    host.innerHTML = '';
    host.style.position = 'relative';
    if (queryMs != null) host.dataset.queryMs = queryMs.toFixed(1);
    const state = { host, chart: null, model, summary: summaryOf(model) };
    host._state = state;

    const n = model.positions.length;
    if (n === 0) {
        host.dataset.points = '0';
        return state;
    }
    const x = new Float64Array(n);
    for (let i = 0; i < n; i++) x[i] = i;
    const data = [x];
    const series = [{ label: 'commit', value: (u, v) => v == null ? '' : model.shas[v]?.slice(0, 10) }];
    const bands = [];
    const units = [...new Set(model.lines.map(l => l.unit))];
    model.lines.forEach((line, li) => {
        const color = palette[li % palette.length];
        const scale = 'u:' + line.unit;
        const lowAt = data.push(line.low) - 1;
        series.push({ label: line.label + ' (lowest trial)', scale, stroke: 'transparent', points: { show: false }, width: 0 });
        const highAt = data.push(line.high) - 1;
        series.push({ label: line.label + ' (highest trial)', scale, stroke: 'transparent', points: { show: false }, width: 0 });
        data.push(line.values);
        series.push({ label: line.label, scale, stroke: color, width: 1.5, points: { show: n <= 200, size: 4 }, spanGaps: true });
        bands.push({ series: [highAt, lowAt], fill: color + '33' });
    });

    const axes = [{
        space: 90,
        size: 48,
        values: (u, splits) => splits.map(v => {
            const i = Math.round(v);
            return i >= 0 && i < n && Math.abs(v - i) < 1e-9 ? model.shas[i].slice(0, 7) + '\n' + day(model.dates[i]) : '';
        }),
    }];
    units.forEach((unit, ui) => axes.push({
        scale: 'u:' + unit, side: ui % 2 === 0 ? 3 : 1, grid: { show: ui === 0 }, size: 64,
        label: unit, values: (u, splits) => splits.map(fmt),
    }));
    const scales = { x: { time: false } };
    units.forEach(unit => scales['u:' + unit] = { auto: true });

    const tooltip = document.createElement('div');
    tooltip.className = 'trend-tooltip';
    tooltip.dataset.testid = 'trend-tooltip';
    tooltip.style.cssText = 'position:absolute;pointer-events:none;display:none;z-index:10;background:rgba(255,255,255,.96);border:1px solid #bbb;border-radius:4px;padding:6px 8px;font:12px/1.35 sans-serif;max-width:360px;box-shadow:0 2px 6px rgba(0,0,0,.15)';

    const markerLayer = document.createElement('div');
    markerLayer.style.cssText = 'position:absolute;left:0;top:0;pointer-events:none';
    const markerElements = model.markers.map(m => {
        const el = document.createElement('div');
        el.dataset.testid = m.type === 'change' ? 'change-point-marker' : 'alert-marker';
        el.dataset.index = m.index;
        el.title = m.label;
        const color = markerColor[m.kind] ?? '#555';
        el.style.cssText = m.type === 'change'
            ? `position:absolute;width:0;border-left:2px dashed ${color}`
            : `position:absolute;width:0;height:0;border-left:6px solid transparent;border-right:6px solid transparent;border-top:10px solid ${color}`;
        markerLayer.appendChild(el);
        return el;
    });

    function placeMarkers(u) {
        const left = u.over.offsetLeft, top = u.over.offsetTop, height = u.over.clientHeight;
        const min = u.scales.x.min, max = u.scales.x.max;
        model.markers.forEach((m, k) => {
            const el = markerElements[k];
            if (m.index < min || m.index > max) { el.style.display = 'none'; return; }
            const px = left + u.valToPos(m.index, 'x');
            el.style.display = '';
            if (m.type === 'change') { el.style.left = px - 1 + 'px'; el.style.top = top + 'px'; el.style.height = height + 'px'; }
            else { el.style.left = px - 6 + 'px'; el.style.top = top - 11 + 'px'; }
        });
    }

    function showTooltip(u) {
        const i = u.cursor.idx;
        if (i == null || u.cursor.left < 0) { tooltip.style.display = 'none'; return; }
        const rows = model.lines.map((line, li) => {
            const v = line.values[i];
            if (v == null) return '';
            return `<div><span style="color:${palette[li % palette.length]}">●</span> ${escape(line.label)}: <b>${fmt(v)}</b> ${escape(line.unit)}`
                + ` <span style="color:#666">(trials ${fmt(line.low[i])}–${fmt(line.high[i])}, n=${line.trials[i]})</span></div>`;
        }).join('');
        const marks = model.markers.filter(m => m.index === i).map(m => `<div style="color:${markerColor[m.kind] ?? '#555'}">⚑ ${escape(m.label)}</div>`).join('');
        tooltip.innerHTML = `<div data-testid="tooltip-sha" style="font-family:monospace">${model.shas[i]}</div>`
            + `<div>${escape(model.messages[i])}</div>`
            + `<div style="color:#666">${escape(model.authors[i])} · ${day(model.dates[i])} · #${model.positions[i]}</div>`
            + rows + marks;
        tooltip.style.display = 'block';
        const left = u.over.offsetLeft + u.cursor.left, top = u.over.offsetTop + u.cursor.top;
        const flip = left + 20 + tooltip.offsetWidth > state.host.clientWidth;
        tooltip.style.left = (flip ? left - 12 - tooltip.offsetWidth : left + 12) + 'px';
        tooltip.style.top = Math.max(0, top - tooltip.offsetHeight - 8) + 'px';
    }

    const options = {
        width: Math.max(320, host.clientWidth || 800),
        height: 420,
        series, bands, axes, scales,
        legend: { show: true, live: false },
        cursor: { drag: { x: true, y: false, setScale: true }, points: { size: 6 } },
        hooks: {
            draw: [placeMarkers],
            setCursor: [showTooltip],
        },
    };
    const chart = new uPlot(options, data, host);
    host.appendChild(markerLayer);
    host.appendChild(tooltip);
    state.chart = chart;
    host._chart = chart;

    const over = chart.over;
    over.addEventListener('mouseleave', () => tooltip.style.display = 'none');
    // Wheel zooms around the cursor; shift+wheel (or a sideways wheel) pans.
    over.addEventListener('wheel', e => {
        e.preventDefault();
        const min = chart.scales.x.min, max = chart.scales.x.max, range = max - min;
        if (e.shiftKey || Math.abs(e.deltaX) > Math.abs(e.deltaY)) {
            const shift = range * 0.1 * Math.sign(e.deltaX || e.deltaY);
            const lo = Math.max(0, Math.min(n - 1 - range, min + shift));
            chart.setScale('x', { min: lo, max: lo + range });
            return;
        }
        const at = chart.posToVal(e.offsetX, 'x');
        const factor = e.deltaY < 0 ? 0.8 : 1.25;
        const next = Math.min(n - 1, Math.max(4, range * factor));
        let lo = at - (at - min) * (next / range);
        lo = Math.max(0, Math.min(n - 1 - next, lo));
        chart.setScale('x', { min: lo, max: lo + next });
    }, { passive: false });
    // A click (not the end of a drag-to-zoom) opens the commit's run.
    let down;
    over.addEventListener('mousedown', e => down = [e.clientX, e.clientY]);
    over.addEventListener('click', e => {
        if (!down || Math.abs(e.clientX - down[0]) > 3 || Math.abs(e.clientY - down[1]) > 3) return;
        const i = chart.cursor.idx;
        if (i == null) return;
        const href = 'runs/' + model.runIds[i];
        if (window.Blazor?.navigateTo) window.Blazor.navigateTo(href); else window.location.assign(base + href);
    });

    host._resize = observeSize(state);

    // First paint: the frame after the chart drew (the chart may have moved to another element meanwhile).
    await new Promise(resolve => requestAnimationFrame(() => requestAnimationFrame(resolve)));
    const painted = performance.now();
    for (const element of new Set([host, state.host])) {
        element.dataset.drawMs = (painted - started).toFixed(1);
        element.dataset.paintedAt = painted.toFixed(1);
        element.dataset.points = String(n);
    }
    return state;
}

export function dispose(host) {
    host._resize?.disconnect();
    host._chart?.destroy();
    host._chart = null;
    host._resize = null;
    host._state = null;
}

// Loaded with the page: a prerendered trends chart is read and drawn now, not once the circuit is up.
// When the circuit renders the page again, its new element takes the chart in the same task (before
// the browser paints), so the chart never blinks out; render() finds it there.
const prerendered = document.querySelector('[data-testid=trend-chart][data-trend-src]');
if (prerendered) {
    const src = prerendered.dataset.trendSrc;
    const moveWhenReplaced = state => {
        const replaced = () => {
            if (state.host.isConnected) return false;
            const next = [...document.querySelectorAll('[data-testid=trend-chart][data-trend-src]')].find(e => e.dataset.trendSrc === src);
            if (!next) return false;
            if (next !== state.host && !next._state) adopt(state, next);
            return true;
        };
        if (!replaced()) {
            const observer = state.observer = new MutationObserver(() => { if (replaced()) observer.disconnect(); });
            observer.observe(document.body, { childList: true, subtree: true });
            // Left in place for good (the circuit never came, another page was opened): stop looking.
            setTimeout(() => observer.disconnect(), 120_000);
        }
        return state;
    };
    // A failure here is render()'s to report: it reads again.
    early.set(src, draw(prerendered, read(src)).then(moveWhenReplaced, () => null));
}
