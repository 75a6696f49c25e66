import { relative } from 'node:path';
import type { Progress, DemoReport } from './run.js';
import { formatInterfaces, formatKernel } from './report.js';

/**
 * Progress on a stream: a line per step, and the live "configured 3/5" count rewritten
 * in place on a terminal (a new line per change otherwise, so logs stay readable).
 */
export function streamProgress(out: Pick<NodeJS.WriteStream, 'write'> & { isTTY?: boolean }, now: () => number = Date.now): Progress {
  const t0 = now();
  let counting = false;
  const stamp = () => `[${((now() - t0) / 1000).toFixed(1).padStart(4)}s]`;
  const endCount = () => {
    if (counting && out.isTTY) out.write('\n');
    counting = false;
  };
  return {
    step(text) {
      endCount();
      out.write(`${stamp()} ${text}\n`);
    },
    count(done, total) {
      if (out.isTTY) {
        out.write(`\r${stamp()} configured ${done}/${total}${done === total ? '\n' : ''}`);
        counting = done !== total;
      } else {
        out.write(`${stamp()} configured ${done}/${total}\n`);
      }
    },
  };
}

/** The human-readable ending: the table, one Node patch, where to look, and --keep's commands. */
export function formatReport(r: DemoReport, cwd: string): string {
  const patchNode = r.nodes.find((n) => n.patch);
  const lines = [
    '',
    r.lab
      ? r.backend === 'networkmanager'
        ? `Mode: network lab ${r.lab.id}: real NetworkManager (keyfiles, nmcli) in ${r.lab.nodes.map((n) => n.netns).join(', ')} (removed on exit)`
        : `Mode: network lab ${r.lab.id}: real systemd-networkd and \`netplan apply\` in ${r.lab.nodes.map((n) => n.netns).join(', ')} (removed on exit)`
      : `Mode: sandbox: fake sysfs, sandbox apply (${r.modeReason})`,
    '',
    formatInterfaces(r.interfaces, r.lab ? r.lab.dir : r.sandboxDir),
    r.lab && r.backend === 'networkmanager'
      ? `(NetworkManager keyfiles: each node's /etc/NetworkManager/system-connections, under ${r.lab.dir}/<node>, removed on exit; checked by the agent with \`nmcli --offline\`)`
      : r.lab
      ? `(netplan files: each node's /etc/netplan, bound from ${r.lab.dir}/<node>/etc/netplan, removed on exit; validation: ${r.netplanValidation})`
      : r.kept
        ? `(netplan files under ${relative(cwd, r.sandboxDir)}; validation: ${r.netplanValidation})`
        : `(validation: ${r.netplanValidation}; the sandbox ${r.sandboxDir} was removed, --keep keeps it)`,
    '',
  ];
  if (r.lab) {
    lines.push('Kernel state, read with `ip -j addr` in each lab node (DHCP ports get no lease: the lab has no DHCP server):', formatKernel(r.interfaces), '');
  }
  if (patchNode?.patch) {
    lines.push(`Node patch for ${patchNode.node}, as the agent would send it (application/merge-patch+json):`, JSON.stringify(patchNode.patch, null, 2), '');
  }
  lines.push(
    `RabbitMQ management UI: ${r.managementUi}${r.kept ? '' : '  (vhost deleted on exit; run with --keep to look)'}`,
    `  vhost ${r.vhost}; queues ${r.queues.join(', ')}`,
  );
  if (r.kept) {
    lines.push(
      '',
      'Kept. Inspect:',
      `  set -a; . ${relative(cwd, r.kept.envFile)}; set +a; node bin/multinic.js status`,
      r.lab
        ? `  (the lab nodes and their /etc/netplan went with the demo: namespaces live only while it runs; ${relative(cwd, r.sandboxDir)} holds the backups)`
        : `  ls -l ${relative(cwd, r.sandboxDir)}/*/etc/netplan`,
      'Clean up:',
      ...r.kept.cleanup.map((c) => `  ${c}`),
    );
  }
  lines.push('', `demo finished in ${(r.elapsedMs / 1000).toFixed(1)} s`);
  return `${lines.join('\n')}\n`;
}
