#!/usr/bin/env node
// The fault suite's NETPLAN_APPLY_COMMAND: a fast, plain-JavaScript stand-in for
// `multinic sandbox-apply` (which would cost a tsx start-up per apply) that also keeps an
// audit log, so the suite can count how often each (port, generation) was really applied.
//
//   node apply-audit.mjs <stateDir> <netplanDir> <sysfsDir>
//
// - For every MultiNIC-owned file whose bytes differ from what the previous successful
//   apply saw, it appends {"node","port","generation","file"} to <stateDir>/audit.jsonl:
//   one line per (port, generation) really applied. A no-op apply appends {"noop":true}.
// - A marker file <stateDir>/fail-<mac> makes the next apply that meets that MAC fail
//   (exit 1) once, and is removed: the agent must roll back and the event be healed.
// - Like sandbox-apply it renames the FAKE sysfs entry whose address matches each file's
//   match.macaddress to its set-name, writes mtu and operstate. It never runs netplan.
import { appendFileSync, existsSync, readdirSync, readFileSync, renameSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';

const [stateDir, netplanDir, sysfsDir] = process.argv.slice(2);
if (!stateDir || !netplanDir || !sysfsDir) {
  process.stderr.write('usage: apply-audit.mjs <stateDir> <netplanDir> <sysfsDir>\n');
  process.exit(2);
}
const MARKER = '# Managed by MultiNIC';
const META = '# multinic-meta: ';
const audit = (rec) => appendFileSync(join(stateDir, 'audit.jsonl'), `${JSON.stringify({ at: Date.now(), ...rec })}\n`);

const owned = readdirSync(netplanDir)
  .filter((f) => /^90-multinic-multinic\d+\.yaml$/.test(f))
  .sort()
  .map((f) => ({ f, text: readFileSync(join(netplanDir, f), 'utf8') }))
  .filter((x) => x.text.startsWith(MARKER))
  .map((x) => ({ ...x, meta: JSON.parse(x.text.split('\n')[1].slice(META.length)) }));

for (const { meta } of owned) {
  const marker = join(stateDir, `fail-${meta.macAddress.replaceAll(':', '-')}`);
  if (existsSync(marker)) {
    unlinkSync(marker);
    audit({ failed: true, port: meta.portId, generation: meta.generation });
    process.stderr.write(`apply-audit: injected failure for ${meta.macAddress}\n`);
    process.exit(1);
  }
}

const statePath = join(stateDir, 'applied.json');
const before = existsSync(statePath) ? JSON.parse(readFileSync(statePath, 'utf8')) : {};
const changed = owned.filter((x) => before[x.f] !== x.text);
for (const x of changed) audit({ port: x.meta.portId, generation: x.meta.generation, file: x.f, name: x.meta.name, mac: x.meta.macAddress });
if (changed.length === 0) audit({ noop: true });

const nicByMac = new Map(readdirSync(sysfsDir).map((n) => [readFileSync(join(sysfsDir, n, 'address'), 'utf8').trim(), n]));
for (const { text, f } of owned) {
  const doc = parse(text, { version: '1.1' });
  for (const eth of Object.values(doc?.network?.ethernets ?? {})) {
    const mac = eth.match.macaddress;
    const name = eth['set-name'];
    const current = nicByMac.get(mac);
    if (!current) continue;
    if (current !== name) {
      if (existsSync(join(sysfsDir, name))) {
        process.stderr.write(`apply-audit: ${f}: cannot rename ${current} to ${name}: the name is taken\n`);
        process.exit(1);
      }
      renameSync(join(sysfsDir, current), join(sysfsDir, name));
      nicByMac.set(mac, name);
    }
    if (typeof eth.mtu === 'number') writeFileSync(join(sysfsDir, name, 'mtu'), `${eth.mtu}\n`);
    writeFileSync(join(sysfsDir, name, 'operstate'), 'up\n');
  }
}
writeFileSync(statePath, JSON.stringify(Object.fromEntries(owned.map((x) => [x.f, x.text]))));
