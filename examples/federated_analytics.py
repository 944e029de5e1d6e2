"""Federated analytics: heavy hitters, histograms and quantiles, with DP.

A simulated population of `--clients` phones, each holding the words its
user typed (drawn from a Zipf distribution over a vocabulary of 2,000
made-up words, a few hundred words per user) and the durations, in
minutes, of the user's sessions (log-normal). Three questions, each
answered by one federated round, first exactly and then with
differential privacy:

1. Which words are typed most? `fx.analytics.build_iblt_heavy_hitters`:
   each phone sketches its distinct words in an invertible Bloom lookup
   table, the sketches are summed with a secure sum, and the server
   decodes the words and their counts. With DP, each phone contributes at
   most 8 distinct words, once each, noise is added to the counts, and
   only words whose noisy count passes `gaussian_threshold` are released.
2. How are session durations distributed? `build_histogram_process` over
   24 bins of 5 minutes; with DP, Gaussian noise on every count through
   `fx.aggregators.DifferentiallyPrivateFactory`.
3. What are the median and the 90th percentile of the durations?
   `build_quantile_estimation_process` (a fine histogram, interpolated).

The exact answers are compared with the truth computed centrally.

Run: `python examples/federated_analytics.py [--clients 500] [--seed 0]`
(about 20 s of CPU time, mostly compiling).
"""

from __future__ import annotations

import argparse
import collections

import numpy as np

import federax as fx

CLIENTS, SEED, VOCABULARY, TOP = 500, 0, 2000, 10


def make_population(num_clients=CLIENTS, seed=SEED):
  """`(words per client, session minutes per client)`, reproducibly."""
  rng = np.random.default_rng(seed)
  syllables = ['ka', 'lo', 'mi', 'ne', 'ru', 'so', 'ti', 'va', 'ze', 'po']
  vocabulary = sorted({''.join(rng.choice(syllables, rng.integers(2, 5)))
                       for _ in range(3 * VOCABULARY)})[:VOCABULARY]
  rng.shuffle(vocabulary)
  p = 1.0 / np.arange(1, len(vocabulary) + 1) ** 1.1
  p /= p.sum()
  words = [list(rng.choice(vocabulary, size=rng.integers(50, 300), p=p))
           for _ in range(num_clients)]
  minutes = [np.clip(rng.lognormal(3.0, 0.6, rng.integers(5, 30)), 0, 119)
             .astype(np.float32) for _ in range(num_clients)]
  return words, minutes


def top_words(words, seed=SEED):
  """`(exact top words, private top words)` as `{word: count}` dicts."""
  exact = fx.analytics.heavy_hitters(
      words, string_max_bytes=8, capacity=2 * VOCABULARY,
      max_heavy_hitters=TOP, secure_sum=True)
  z, k = 1.0, 8
  private = fx.analytics.heavy_hitters(
      words, string_max_bytes=8, capacity=2 * VOCABULARY,
      max_heavy_hitters=TOP, max_words_per_user=k, multi_contribution=False,
      noise_multiplier=z,
      threshold=fx.analytics.gaussian_threshold(z, k, delta=1e-6),
      noise_seed=seed)
  return exact, private


def main(argv=None):
  parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
  parser.add_argument('--clients', type=int, default=CLIENTS)
  parser.add_argument('--seed', type=int, default=SEED)
  args = parser.parse_args(argv)
  words, minutes = make_population(args.clients, args.seed)

  truth = collections.Counter(w for client in words for w in client)
  exact, private = top_words(words, args.seed)
  print(f'top {TOP} words (exact, secure sum): {exact}')
  print(f'  central truth agrees: '
        f'{exact == dict(truth.most_common(TOP))}')
  print(f'top words with DP (clients sending 8 distinct words each, '
        f'noisy counts of users): {private}')

  edges = np.arange(0, 121, 5, dtype=np.float32)
  counts = fx.analytics.histogram(minutes, edges)
  central = np.histogram(np.concatenate(minutes), edges)[0]
  noisy = fx.analytics.histogram(minutes, edges, max_values_per_client=30,
                                 noise_multiplier=1.0, noise_seed=args.seed)
  print(f'session minutes per 5-minute bin: {counts.tolist()}')
  print(f'  central truth agrees: {np.array_equal(counts, central)}')
  print(f'  with DP (stddev 30): {np.round(noisy).astype(int).tolist()}')

  qs = [0.5, 0.9]
  estimates = fx.analytics.quantiles(minutes, qs, lower=0.0, upper=120.0,
                                     num_bins=480)
  private_q = fx.analytics.quantiles(
      minutes, qs, lower=0.0, upper=120.0, num_bins=24,
      max_values_per_client=30, noise_multiplier=1.0, noise_seed=args.seed)
  central_q = np.quantile(np.concatenate(minutes), qs)
  def show(values):
    return [round(float(v), 2) for v in values]

  print(f'median and 90th percentile of session minutes: {show(estimates)} '
        f'(central {show(central_q)}; with DP {show(private_q)})')
  return dict(exact=exact, truth=truth, private=private, counts=counts,
              central=central, quantiles=estimates, central_q=central_q,
              private_q=private_q)


if __name__ == '__main__':
  main()
