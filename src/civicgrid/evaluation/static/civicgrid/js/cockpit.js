// The leader's cockpit and its big screen: charts (ECharts, served from the package) and
// the grids' map (Leaflet over our own grid polygons), drawn from the API's answer that
// the page embeds; the screen asks the API again every data-refresh seconds and redraws
// without reloading. Every chart element, grid and number links to its cases.
(function () {
  "use strict";
  const root = document.getElementById("cockpit");
  const source = document.getElementById("cockpit-data");
  if (!root || !source || !window.echarts) return;
  const words = document.getElementById("cockpit-words").dataset;
  const dark = root.classList.contains("dark");
  const charts = {};
  let map = null;
  let gridLayer = null;
  let gridsUrl = null;
  let data = JSON.parse(source.textContent);

  function go(url) { if (url) window.location.href = url; }
  function pct(rate) { return rate.value === null ? null : Math.round(rate.value * 1000) / 10; }
  // Residents' and units' words are set as text, never as HTML.
  function el(tag, text, cls) {
    const e = document.createElement(tag);
    if (text !== undefined && text !== null) e.textContent = String(text);
    if (cls) e.className = cls;
    return e;
  }
  function link(href, text) { const a = el("a", text); a.href = href; return a; }

  function chart(name) {
    const box = root.querySelector('[data-chart="' + name + '"]');
    if (!box) return null;
    if (!charts[name]) {
      charts[name] = echarts.init(box, dark ? "dark" : null, { renderer: "canvas" });
      // The element clicked carries the link to its cases.
      charts[name].on("click", function (p) { if (p.data && p.data.url) go(p.data.url); });
    }
    return charts[name];
  }
  const base = {
    backgroundColor: "transparent",
    animation: false,
    // Tooltips drawn in the canvas: no inline style, as the page's security policy asks.
    tooltip: { trigger: "item", renderMode: "richText" },
    grid: { left: 8, right: 16, top: 36, bottom: 8, containLabel: true },
    legend: { top: 0 },
  };
  function item(number) { return { value: number.value, url: number.cases }; }

  function drawSlices(name, slices, horizontal) {
    const c = chart(name);
    if (!c) return;
    const labels = slices.map(function (s) { return s.label; });
    const category = { type: "category", data: labels, axisLabel: { interval: 0 } };
    const value = { type: "value", minInterval: 1 };
    c.setOption(Object.assign({}, base, {
      xAxis: horizontal ? value : category,
      yAxis: horizontal ? Object.assign({ inverse: true }, category) : value,
      series: [
        { name: words.open, type: "bar", data: slices.map(function (s) { return item(s.open); }) },
        { name: words.overdue, type: "bar", data: slices.map(function (s) { return item(s.overdue); }) },
        { name: words.today, type: "bar", data: slices.map(function (s) { return item(s.today); }) },
      ],
    }), true);
  }

  function drawChannel(slices) {
    const c = chart("channel");
    if (!c) return;
    c.setOption(Object.assign({}, base, {
      series: [{
        name: words.open, type: "pie", radius: ["35%", "68%"], center: ["50%", "58%"],
        label: { formatter: "{b}: {c}" },
        data: slices.map(function (s) { return { name: s.label, value: s.open.value, url: s.open.cases }; }),
      }],
    }), true);
  }

  function drawTrend(months, names) {
    const c = chart("trend");
    if (!c) return;
    const series = [
      { name: words.intake, type: "bar", data: months.map(function (m) { return item(m.intake); }) },
      { name: words.closed, type: "bar", data: months.map(function (m) { return item(m.closed); }) },
    ];
    Object.keys(names).forEach(function (key) {
      series.push({
        name: names[key], type: "line", yAxisIndex: 1, connectNulls: false, symbolSize: 8,
        data: months.map(function (m) { const r = m.rates[key]; return { value: pct(r), url: r.numerator_cases }; }),
      });
    });
    c.setOption(Object.assign({}, base, {
      xAxis: { type: "category", data: months.map(function (m) { return m.month; }) },
      yAxis: [{ type: "value", minInterval: 1 }, { type: "value", min: 0, max: 100, axisLabel: { formatter: "{value}%" } }],
      series: series,
    }), true);
  }

  function drawTasks(tasks) {
    const c = chart("tasks");
    if (!c) return;
    const labels = tasks.map(function (t) { return t.name; });
    c.setOption(Object.assign({}, base, {
      xAxis: { type: "value", minInterval: 1 },
      yAxis: { type: "category", inverse: true, data: labels },
      series: [
        { name: words.tasksOpen, type: "bar", data: tasks.map(function (t) { return item(t.open); }) },
        { name: words.tasksOverdue, type: "bar", data: tasks.map(function (t) { return item(t.overdue); }) },
      ],
    }), true);
  }

  function drawNumbers(d) {
    ["today", "open", "overdue"].forEach(function (key) {
      const a = root.querySelector('[data-number="' + key + '"]');
      if (!a) return;
      a.href = d[key].cases;
      a.querySelector("strong").textContent = String(d[key].value);
    });
    const stamp = document.getElementById("cockpit-time");
    if (stamp) stamp.textContent = new Date(d.computed_at).toLocaleString();
  }

  // The rankings panel: the latest published month (rank, score, red and black lists, as
  // published) or, while none is published, the month's live rates (labelled so).
  function drawRankingStatus(r) {
    const panel = document.getElementById("cockpit-rankings");
    if (!panel) return;
    panel.dataset.status = r.status;
    document.getElementById("cockpit-ranking-status").textContent = r.label;
    document.getElementById("cockpit-ranking-page").href = r.page;
  }

  function drawRanking(name, rows, names, published) {
    const table = root.querySelector('[data-ranking="' + name + '"]');
    if (!table) return;
    table.replaceChildren();
    const head = el("tr");
    head.append(el("th", words.unit));
    if (published) head.append(el("th", words.rank), el("th", words.score));
    head.append(el("th", words.cases));
    Object.keys(names).forEach(function (k) { head.append(el("th", names[k])); });
    table.append(head);
    if (!rows.length) { const tr = el("tr"); const td = el("td", words.none, "muted"); td.colSpan = head.children.length; tr.append(td); table.append(tr); }
    rows.forEach(function (r) {
      const tr = el("tr", undefined, r.red ? "red" : r.black ? "black" : r.apart ? "apart" : "");
      tr.dataset.row = r.code;
      const unit = el("th", r.name);
      if (r.red) unit.append(el("span", words.red, "mark red"));
      if (r.black) unit.append(el("span", words.black, "mark black"));
      tr.append(unit);
      if (published) {
        tr.append(el("td", r.apart ? words.apart : r.rank), el("td", r.score === null ? "—" : r.score.toFixed(1)));
      }
      tr.append(el("td", r.cases));
      Object.keys(names).forEach(function (k) {
        const rate = r.rates[k];
        const td = el("td");
        td.dataset.indicator = k;
        const v = pct(rate);
        td.append(link(rate.numerator_cases, v === null ? "—" : v.toFixed(1) + "%"));
        td.append(el("span", " " + rate.numerator + "/" + rate.denominator, "parts"));
        tr.append(td);
      });
      table.append(tr);
    });
  }

  function drawHot(hot) {
    const list = document.getElementById("cockpit-hot");
    if (!list) return;
    list.replaceChildren();
    if (!hot.length) { list.append(el("li", words.noBoard, "muted")); return; }
    hot.forEach(function (h) {
      const li = el("li");
      li.append(link(h.cases.cases, h.title));
      li.append(el("span", " " + h.label + " · " + h.cases.value + " " + words.cases + " · " + words.heat + " " + h.heat, "muted"));
      list.append(li);
    });
  }

  function drawMap(d) {
    const box = document.getElementById("cockpit-map");
    if (!box || !window.L) return;
    if (!d.grids_url) { box.closest(".map-panel").hidden = true; return; }
    // Open cases by grid code (grids without any are not listed: zero).
    const loads = d.grids;
    let max = 1;
    Object.keys(loads).forEach(function (code) { max = Math.max(max, loads[code]); });
    function style(feature) {
      const share = (loads[feature.properties.code] || 0) / max;
      return { color: dark ? "#9fb3c8" : "#5b6770", weight: 0.8, fillColor: "#c0392b", fillOpacity: 0.08 + 0.72 * share };
    }
    if (!map) {
      map = L.map(box, { attributionControl: false, zoomSnap: 0.25 });
      if (box.dataset.tileUrl) L.tileLayer(box.dataset.tileUrl, { maxZoom: 19 }).addTo(map);
      map.setView([30.08, 120.05], 11);
    }
    if (gridLayer && gridsUrl === d.grids_url) { gridLayer.setStyle(style); return; }
    gridsUrl = d.grids_url;
    fetch(d.grids_url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (r) { if (!r.ok) throw new Error(r.status); return r.json(); })
      .then(function (geo) {
        if (gridLayer) gridLayer.remove();
        gridLayer = L.geoJSON(geo, {
          style: style,
          onEachFeature: function (feature, layer) {
            const code = feature.properties.code;
            layer.bindTooltip(el("span", feature.properties.name + " · " + (data.grids[code] || 0)));
            layer.on("click", function () { if (data.grids[code]) go(data.grid_cases + encodeURIComponent(code)); });
          },
        }).addTo(map);
        if (geo.features.length) map.fitBounds(gridLayer.getBounds(), { padding: [8, 8] });
        box.dataset.grids = String(geo.features.length);
      })
      .catch(function () { box.dataset.grids = "error"; });
  }

  function draw(d) {
    data = d;
    drawNumbers(d);
    drawSlices("tier", d.by_tier, false);
    drawSlices("category", d.by_category, true);
    drawChannel(d.by_channel);
    drawTrend(d.trend, d.rate_names);
    drawTasks(d.tasks);
    const published = d.rankings.status === "published";
    drawRankingStatus(d.rankings);
    drawRanking("streets", d.rankings.streets, d.rate_names, published);
    drawRanking("departments", d.rankings.departments, d.rate_names, published);
    drawHot(d.hot);
    drawMap(d);
    root.dataset.drawn = "1";
  }

  draw(data);
  window.addEventListener("resize", function () { Object.values(charts).forEach(function (c) { c.resize(); }); });

  const every = Number(root.dataset.refresh || 0);
  if (every > 0) {
    window.setInterval(function () {
      fetch(root.dataset.apiUrl, { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then(function (r) { if (!r.ok) throw new Error(r.status); return r.json(); })
        .then(function (d) {
          draw(d);
          root.dataset.refreshed = String(Number(root.dataset.refreshed || 0) + 1);
        })
        .catch(function () { root.dataset.refreshError = "1"; });
    }, every * 1000);
  }
})();
