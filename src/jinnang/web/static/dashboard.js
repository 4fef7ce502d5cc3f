// The 看板's charts (ECharts, served from /static/vendor/). Data is the JSON embedded in the page;
// every bar, ring and point opens the accounts (or the report) behind it.
(function () {
  const dataNode = document.getElementById("dashboard-data");
  if (!dataNode || typeof echarts === "undefined") { return; }
  const board = JSON.parse(dataNode.textContent);
  const words = JSON.parse(document.getElementById("dashboard-words").textContent);
  const keep = new URLSearchParams(board.filters).toString();
  const drill = (params) => {
    const query = new URLSearchParams(params);
    new URLSearchParams(keep).forEach((value, key) => { if (!query.has(key)) { query.set(key, value); } });
    window.location.href = "/dashboard/accounts?" + query.toString();
  };
  const charts = [];
  const make = (id) => {
    const el = document.getElementById(id);
    if (!el) { return null; }
    const chart = echarts.init(el, null, { renderer: "svg" });
    charts.push(chart);
    return chart;
  };

  // accounts per journey node, stacked in time vs overdue (horizontal: long node names fit a phone)
  const nodes = make("chart-nodes");
  if (nodes) {
    const rows = board.nodes.slice().reverse();
    nodes.setOption({
      tooltip: { trigger: "axis", axisPointer: { type: "shadow" } },
      legend: { data: [words.in_time, words.overdue], top: 0 },
      grid: { left: 8, right: 16, top: 28, bottom: 8, containLabel: true },
      xAxis: { type: "value", minInterval: 1 },
      yAxis: { type: "category", data: rows.map((n) => n.label), axisLabel: { width: 110, overflow: "truncate" } },
      series: [
        { name: words.in_time, type: "bar", stack: "n", data: rows.map((n) => n.in_time), itemStyle: { color: "#1a7f37" } },
        { name: words.overdue, type: "bar", stack: "n", data: rows.map((n) => n.overdue), itemStyle: { color: "#cf222e" } },
      ],
    });
    nodes.on("click", (p) => {
      const node = rows[p.dataIndex];
      if (node) { drill({ node: node.id, state: p.seriesIndex === 1 ? "overdue" : "in_time" }); }
    });
  }

  // one ring per rep: high-quality vs needs-coaching visits, the share in the middle
  const quality = make("chart-quality");
  if (quality) {
    const reps = board.quality;
    const columns = Math.max(1, Math.min(reps.length, 3));
    const rowsCount = Math.max(1, Math.ceil(reps.length / columns));
    const el = document.getElementById("chart-quality");
    el.style.height = Math.max(220, rowsCount * 190) + "px";
    quality.resize();
    // ring size in pixels from the cell each rep gets, so rings stay readable on a 390 px phone
    const cell = Math.min(el.clientWidth / columns, el.clientHeight / rowsCount);
    const outer = Math.max(30, cell * 0.34);
    const centre = (i) => [((i % columns) + 0.5) * (100 / columns) + "%",
                           (Math.floor(i / columns) + 0.45) * (100 / rowsCount) + "%"];
    quality.setOption({
      tooltip: { trigger: "item", formatter: "{a}<br>{b}: {c} ({d}%)" },
      series: reps.map((r, i) => ({
        name: r.name, type: "pie", radius: [outer * 0.68, outer], center: centre(i),
        label: { show: true, position: "center", formatter: () => (r.share === null ? words.no_visits : r.share + "%"),
                 fontSize: 16, fontWeight: "bold" },
        emphasis: { label: { show: true } },
        data: [
          { name: words.high, value: r.high, itemStyle: { color: "#1a7f37" }, rep: r.rep, quality: "high" },
          { name: words.low, value: r.low, itemStyle: { color: "#bf8700" }, rep: r.rep, quality: "low" },
        ],
      })),
      // each rep's name under their ring
      title: reps.map((r, i) => ({
        text: r.name, left: centre(i)[0], textAlign: "center", textStyle: { fontSize: 12, color: "#656d76", fontWeight: "normal" },
        top: (Math.floor(i / columns) + 0.45) * (el.clientHeight / rowsCount) + outer + 6,
      })),
    });
    quality.on("click", (p) => { if (p.data && p.data.rep) { drill({ rep: p.data.rep, quality: p.data.quality }); } });
  }

  // PHI over six months; a month without data is a gap, never a score
  const phi = make("chart-phi");
  if (phi) {
    const trend = board.phi.trend;
    phi.setOption({
      tooltip: { trigger: "axis", valueFormatter: (v) => (v === null || v === undefined || v === "-" ? words.no_data : v) },
      grid: { left: 8, right: 16, top: 16, bottom: 8, containLabel: true },
      xAxis: { type: "category", data: trend.map((m) => m.month) },
      yAxis: { type: "value", min: 0, max: 100 },
      series: [{
        type: "line", name: "PHI", connectNulls: false, symbolSize: 8,
        data: trend.map((m) => (m.value === null ? "-" : m.value)),
        markLine: { symbol: "none", lineStyle: { color: "#cf222e", type: "dashed" }, label: { formatter: words.line, position: "insideEndTop" },
                    data: [{ yAxis: board.phi.line }] },
      }],
    });
    phi.on("click", (p) => {
      const month = trend[p.dataIndex];
      if (month) { window.location.href = "/reports/process-health?month=" + month.month; }
    });
  }

  window.addEventListener("resize", () => charts.forEach((c) => c.resize()));
})();
