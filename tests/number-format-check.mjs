// number-format-check.mjs: json_format_double() against an independent printer, JavaScript's
// own Number-to-String (the form JSON.stringify writes), over a sweep of doubles: integers up
// to 2^53, powers of ten both ways, round values, subnormals, the extremes and random bit
// patterns (the seed is printed; SHARKAPI_TEST_SEED replays it).
// Usage: node number-format-check.mjs PATH/TO/test-json-writer
// SPDX-License-Identifier: GPL-2.0-or-later
import { spawnSync } from 'node:child_process';

const writer = process.argv[2];
const seed = Number(process.env.SHARKAPI_TEST_SEED ?? Math.floor(Math.random() * 2 ** 31));
console.log(`seed: ${seed}`);

// A small deterministic generator (mulberry32), so a failing sweep can be replayed.
let state = seed >>> 0;
function random32() {
	state = (state + 0x6d2b79f5) >>> 0;
	let t = state;
	t = Math.imul(t ^ (t >>> 15), t | 1);
	t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
	return (t ^ (t >>> 14)) >>> 0;
}

const values = [];
for (let i = 0; i <= 4096; i++) values.push(i, -i);
for (let p = 0; p <= 53; p++) values.push(2 ** p, 2 ** p - 1, 2 ** p + 1);
for (let e = -324; e <= 308; e++) values.push(Number(`1e${e}`), Number(`5e${e}`), Number(`1.25e${e}`));
for (let i = 0; i < 2000; i++) values.push(random32() * 2 ** 21 + (random32() >>> 11)); // integers < 2^53
for (let i = 0; i < 2000; i++) values.push(random32() / 1000, random32() / 1e6, random32() / 1e9);
values.push(Number.MIN_VALUE, 2.2250738585072009e-308, 2.2250738585072014e-308, Number.MAX_VALUE,
	Number.MAX_SAFE_INTEGER, 0.1 + 0.2, 100, 113940, 1e21, 1e-7, 123456789012345680000);

const bits = new DataView(new ArrayBuffer(8));
values.splice(0, values.length, ...values.filter(Number.isFinite)); // the writer prints 0 for those
const hex = values.map((v) => {
	bits.setFloat64(0, v);
	return bits.getBigUint64(0).toString(16).padStart(16, '0');
});
// Random bit patterns cover every exponent, subnormals included (non-finite ones left out).
for (let i = 0; i < 20000; i++) {
	const pattern = (BigInt(random32()) << 32n) | BigInt(random32());
	bits.setBigUint64(0, pattern);
	const v = bits.getFloat64(0);
	if (Number.isFinite(v)) {
		values.push(v);
		hex.push(pattern.toString(16).padStart(16, '0'));
	}
}

const run = spawnSync(writer, ['--format-stdin'], { input: hex.join('\n') + '\n', maxBuffer: 1 << 26 });
if (run.status !== 0) {
	console.log(`${writer} --format-stdin failed: ${run.status} ${run.stderr}`);
	process.exit(1);
}
const got = run.stdout.toString().split('\n');
let failed = 0;
values.forEach((v, i) => {
	const want = Object.is(v, -0) ? '0' : String(v);
	if (got[i] !== want) {
		if (failed++ < 20) console.log(`FAIL ${hex[i]}: sharkapi ${got[i]}, JavaScript ${want}`);
	}
});
console.log(`${values.length - failed} passed, ${failed} failed`);
process.exit(failed === 0 && values.length > 0 ? 0 : 1);
