"""Writes `run_all.py`'s results: the tables between the `run_all.py`
markers of RESULTS.md (the rest of the file is left as it is) and the
scaling plot `results/scaling.png`.
Alone: `python benchmarks/report.py` rewrites both from
`results/run_all.json`.
"""

import json
import os
import platform
import statistics
import subprocess

import harness

HERE = os.path.dirname(os.path.abspath(__file__))
RESULTS_DIR = os.path.join(HERE, 'results')
RESULTS_MD = os.path.join(HERE, 'RESULTS.md')
BEGIN = '<!-- run_all.py: begin (generated, do not edit) -->'
END = '<!-- run_all.py: end -->'
VERSIONS = {'federax': ['jax', 'jaxlib'],
            'tff': ['tensorflow-federated', 'tensorflow'],
            'flower': ['flwr', 'ray', 'jax']}


def versions():
  found = []
  for env, packages in VERSIONS.items():
    if not os.path.exists(harness.PYTHONS[env]):
      continue
    code = ('import importlib.metadata as m; print(" ".join(m.version(p) '
            f'for p in {packages!r}))')
    out = subprocess.run([harness.PYTHONS[env], '-c', code], check=False,
                         capture_output=True, text=True).stdout.split()
    found += [f'{p} {v}' for p, v in zip(packages, out)]
  return ', '.join(dict.fromkeys(found))


def _f(x, digits=3):
  return '-' if x is None else f'{x:.{digits}g}' if x < 100 else f'{x:.0f}'


def main_table(configs):
  lines = ['| workload | clients | implementation | start s | '
           'first round s | steady s/round | rounds | peak RSS MiB | '
           'round / federax |', '|---' * 9 + '|']
  for c in configs:
    rows = {r['impl']: r for r in c['rows']}
    fx = rows.get('federax', {})
    for r in c['rows']:
      head = f'| {c["workload"]} | {c["clients"]} | {r["impl"]} |'
      if 'steady_s' not in r:
        why = r.get('error') or r.get('skipped')
        lines.append(head + f' {why} | | | | | |')
        continue
      ratio = r['steady_s'] / fx['steady_s'] if fx else None
      mark = '' if r['cold'] else ' †'
      lines.append(
          head + f' {_f(r["start_s"])}{mark} | {_f(r["first_round_s"])} | '
          f'{_f(r["steady_s"])} | {len(r["rounds"])} | '
          f'{r["peak_rss_mib"]:.0f}{mark} | {_f(ratio)} |')
  return lines + [
      '', 'start: import + build + first round in a fresh process (cold '
      'start), data generation excluded; † a warm start (build + first '
      'round) in a process that ran the configs above (TFF and Flower start '
      'once per run), whose peak memory also counts what it kept from them. '
      'Peak RSS sums the process tree (TFF\'s worker_binary, Ray\'s '
      'processes), sampled every 50 ms. Steady: median of the rounds after '
      'the first, the implementations taking turns round by round.']


def goals(configs):
  lines = ['| goal | measured | met |', '|---|---|---|']
  for c in configs:
    rows = {r['impl']: r for r in c['rows'] if 'steady_s' in r}
    if 'federax' not in rows:
      continue
    fx, where = rows['federax'], f'{c["workload"]} x {c["clients"]}'
    for own, floor in (('federax', 'jax'),
                       ('federax (lax.conv)', 'jax (lax.conv)')):
      if own in rows and floor in rows:
        r = rows[own]['steady_s'] / rows[floor]['steady_s']
        lines.append(f'| {own} <= 1.2x {floor} floor, {where} | {r:.2f}x | '
                     f'{"yes" if r <= 1.2 else "no"} |')
    if 'tff' in rows and c['workload'] in ('W1', 'W2'):
      r = rows['tff']['steady_s'] / fx['steady_s']
      lines.append(f'| >= 25x faster than TFF per round, {where} | {r:.1f}x | '
                   f'{"yes" if r >= 25 else "no"} |')
    if (c['workload'], c['clients']) == ('W1', 100) and fx['cold']:
      t = rows.get('tff', {}).get('start_s')
      for own in ('federax', harness.CACHED):
        if own in rows:
          s = rows[own]['start_s']
          lines.append(f'| {own} cold start < 3 s (TFF: {_f(t)} s), {where} '
                       f'| {s:.2f} s | {"yes" if s < 3 else "no"} |')
  return lines


def parity_table(configs):
  lines = []
  for c in configs:
    if c.get('parity'):
      lines += [f'Parity, {c["workload"]} x {c["clients"]} clients, same data '
                'and initial weights, after 3 rounds (max |w - w_federax| '
                'over all weights; goal 1e-5):', '',
                '| implementation | max abs difference | within 1e-5 |',
                '|---|---|---|']
      lines += [f'| {k} | {v:.2e} | {"yes" if v <= 1e-5 else "no"} |'
                for k, v in c['parity'].items()]
  return lines


def scaling_table(points):
  lines = ['| workload | parameters | clients | data MiB | s/round | '
           'peak RSS MiB | cold start s |', '|---' * 7 + '|']
  lines += [f'| {p["workload"]} | {p["params"]:,} | {p["clients"]:,} | '
            f'{p["data_mib"]:.0f} | {_f(p["steady_s"])} | '
            f'{p["peak_rss_mib"]:.0f} | {_f(p["cold_s"])} |' for p in points]
  return lines


def plot(points, path):
  import matplotlib
  matplotlib.use('Agg')
  import matplotlib.pyplot as plt
  fig, (left, right) = plt.subplots(1, 2, figsize=(10, 4))
  for name in sorted({p['workload'] for p in points}):
    ps = [p for p in points if p['workload'] == name]
    label = f'{name} ({ps[0]["params"]:,} params)'
    xs = [p['clients'] for p in ps]
    left.plot(xs, [p['steady_s'] for p in ps], 'o-', label=label)
    right.plot(xs, [p['peak_rss_mib'] for p in ps], 'o-', label=label)
  w1 = [p for p in points if p['workload'] == 'W1']
  right.plot([p['clients'] for p in w1], [p['data_mib'] for p in w1], 'k:',
             label='W1 client data')
  for ax, title in ((left, 'seconds per round'), (right, 'peak RSS (MiB)')):
    ax.set_xscale('log')
    ax.set_yscale('log')
    ax.set_xlabel('clients per round')
    ax.set_title(f'federax FedAvg: {title}')
    ax.grid(True, which='both', alpha=0.3)
  left.legend()
  right.legend()
  fig.tight_layout()
  fig.savefig(path, dpi=100)


def render(results):
  load = results['load']
  lines = [BEGIN, '',
           f'Run {results["started"]}, {results["total_s"] / 60:.1f} min; '
           f'{os.cpu_count()} cores, Python {platform.python_version()}, '
           f'{versions()}. Load average (1 min) during the run: min '
           f'{min(load):.1f}, median {statistics.median(load):.1f}, max '
           f'{max(load):.1f} on {os.cpu_count()} cores (a shared machine).',
           '', *main_table(results['configs']), '', *goals(results['configs']),
           '', *parity_table(results['configs'])]
  if results.get('scaling'):
    lines += ['', 'federax scaling (a fresh process per point; the points '
              'of the table above are reused; the others take the median of '
              '3 rounds, 2 above 1,000 clients):', '',
              *scaling_table(results['scaling']), '',
              '![federax scaling](results/scaling.png)']
  return '\n'.join(lines + ['', END])


def write(results):
  if results.get('scaling'):
    plot(results['scaling'], os.path.join(RESULTS_DIR, 'scaling.png'))
  with open(RESULTS_MD) as f:
    text = f.read()
  block = render(results)
  if BEGIN in text and END in text:
    text = text[:text.index(BEGIN)] + block + text[text.index(END) + len(END):]
  else:
    text = text.rstrip('\n') + '\n\n' + block + '\n'
  with open(RESULTS_MD, 'w') as f:
    f.write(text)


if __name__ == '__main__':
  with open(os.path.join(RESULTS_DIR, 'run_all.json')) as f:
    write(json.load(f))
