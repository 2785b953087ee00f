import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isCodedError } from '../../lib/errors.js';
import { ByteBudget } from '../../lib/flow/byte-budget.js';

/** Lets every settled promise run its callbacks. */
const settle = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** Starts `acquire(bytes)` and records `label` in `order` once it is granted. */
function waitFor(budget: ByteBudget, bytes: number, label: string, order: string[]): Promise<void> {
  return budget.acquire(bytes).then(() => {
    order.push(label);
  });
}

test('a limit that is not a positive number of bytes is ERR_INVALID_OPTION naming the budget', () => {
  for (const limit of [0, -1, Number.NaN, Number.POSITIVE_INFINITY]) {
    assert.throws(
      () => new ByteBudget(limit, 'memory_budget'),
      (err: unknown) => isCodedError(err) && err.code === 'ERR_INVALID_OPTION' && (err as { option?: string }).option === 'memory_budget',
      `limit ${limit}`,
    );
  }
});

test('acquire within the limit is granted at once; used and available follow acquire and release', async () => {
  const budget = new ByteBudget(100);
  await budget.acquire(60);
  assert.equal(budget.used, 60);
  assert.equal(budget.available, 40);
  assert.equal(budget.tryAcquire(40), true);
  assert.equal(budget.available, 0);
  assert.equal(budget.tryAcquire(1), false, 'one byte over the limit does not fit');
  budget.release(100);
  assert.equal(budget.used, 0);
  budget.release(5);
  assert.equal(budget.used, 0, 'releasing more than is held never goes below zero');
});

test('waiters are granted in arrival order: a small request does not overtake a large one that waits', async () => {
  const budget = new ByteBudget(100);
  const order: string[] = [];
  await budget.acquire(90);
  const big = waitFor(budget, 50, 'big', order);
  assert.equal(budget.fits(5), false, 'nothing fits past a waiter, even what the free bytes would hold');
  assert.equal(budget.tryAcquire(5), false);
  const small = waitFor(budget, 5, 'small', order);
  await settle();
  assert.deepEqual(order, []);

  budget.release(40); // 50 held: big fits (50 + 50 = 100), small behind it does not (105)
  await settle();
  assert.deepEqual(order, ['big']);
  budget.release(5);
  await settle();
  assert.deepEqual(order, ['big', 'small']);
  await Promise.all([big, small]);
});

test('a release grants only as many waiters as fit, the rest wait for the next release', async () => {
  const budget = new ByteBudget(100);
  const order: string[] = [];
  await budget.acquire(100);
  const a = waitFor(budget, 30, 'a', order);
  const b = waitFor(budget, 30, 'b', order);
  const c = waitFor(budget, 30, 'c', order);
  budget.release(60);
  await settle();
  assert.deepEqual(order, ['a', 'b']);
  assert.equal(budget.used, 100);
  budget.release(30);
  await settle();
  assert.deepEqual(order, ['a', 'b', 'c']);
  assert.equal(budget.used, 100);
  await Promise.all([a, b, c]);
});

test('a request larger than the whole budget goes through alone, once nothing else is held', async () => {
  const budget = new ByteBudget(100);
  const order: string[] = [];
  assert.equal(budget.tryAcquire(250), true, 'alone on an empty budget: let through');
  assert.equal(budget.used, 250);
  assert.equal(budget.available, 0);
  assert.equal(budget.tryAcquire(1), false, 'nothing else while it is held');
  budget.release(250);

  await budget.acquire(10);
  const huge = waitFor(budget, 250, 'huge', order);
  const after = waitFor(budget, 10, 'after', order);
  await settle();
  assert.deepEqual(order, [], 'the oversized request waits while anything is held');
  budget.release(10);
  await settle();
  assert.deepEqual(order, ['huge'], 'granted alone; the request behind it waits for its release');
  budget.release(250);
  await settle();
  assert.deepEqual(order, ['huge', 'after']);
  await Promise.all([huge, after]);
});
