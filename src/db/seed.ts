import type { Sequelize } from 'sequelize';
import { initModels } from './models.js';

/**
 * A small, realistic environment: two workers, a management network that is already
 * configured everywhere, and data networks still pending — one IPv4 with a static
 * address, one storage network with jumbo frames (MTU 9000), one IPv6, and one port
 * left to DHCP (no address). MACs use OpenStack's fa:16:3e prefix.
 */
export const SEED = {
  nodes: [
    { attached_node_id: 'c0a8f1d2-0001-4c1e-9a51-000000000001', attached_node_name: 'worker-node-1' },
    { attached_node_id: 'c0a8f1d2-0002-4c1e-9a51-000000000002', attached_node_name: 'worker-node-2' },
  ],
  subnets: [
    { subnet_id: '5e0b7c3a-mgmt-4d1e-8f00-000000000010', subnet_name: 'mgmt-net', cidr: '10.10.0.0/24', network_id: '9a1d2e3f-mgmt-4b00-8000-000000000010' },
    { subnet_id: '5e0b7c3a-data-4d1e-8f00-000000000020', subnet_name: 'data-net', cidr: '192.168.100.0/24', network_id: '9a1d2e3f-data-4b00-8000-000000000020' },
    { subnet_id: '5e0b7c3a-stor-4d1e-8f00-000000000030', subnet_name: 'storage-net', cidr: '172.20.0.0/22', network_id: '9a1d2e3f-stor-4b00-8000-000000000030' },
    { subnet_id: '5e0b7c3a-ipv6-4d1e-8f00-000000000040', subnet_name: 'data-v6', cidr: 'fd00:100::/64', network_id: '9a1d2e3f-ipv6-4b00-8000-000000000040' },
  ],
  interfaces: [
    { port_id: '7f3e2a10-0000-4000-8000-000000000111', node: 0, subnet: 0, macaddress: 'fa:16:3e:10:01:11', address: '10.10.0.11', mtu: null, netplan_success: 1 },
    { port_id: '7f3e2a10-0000-4000-8000-000000000112', node: 0, subnet: 1, macaddress: 'fa:16:3e:10:01:12', address: '192.168.100.11', mtu: null, netplan_success: 0 },
    { port_id: '7f3e2a10-0000-4000-8000-000000000113', node: 0, subnet: 2, macaddress: 'fa:16:3e:10:01:13', address: '172.20.1.11', mtu: 9000, netplan_success: 0 },
    { port_id: '7f3e2a10-0000-4000-8000-000000000114', node: 0, subnet: 3, macaddress: 'fa:16:3e:10:01:14', address: 'fd00:100::11', mtu: 1500, netplan_success: 0 },
    { port_id: '7f3e2a10-0000-4000-8000-000000000121', node: 1, subnet: 0, macaddress: 'fa:16:3e:10:02:11', address: '10.10.0.12', mtu: null, netplan_success: 1 },
    { port_id: '7f3e2a10-0000-4000-8000-000000000122', node: 1, subnet: 1, macaddress: 'fa:16:3e:10:02:12', address: null, mtu: null, netplan_success: 0 },
    { port_id: '7f3e2a10-0000-4000-8000-000000000124', node: 1, subnet: 3, macaddress: 'fa:16:3e:10:02:14', address: 'fd00:100::12', mtu: null, netplan_success: 0 },
  ],
} as const;

/**
 * Loads the seed; running it again resets those rows to the seed's state (upsert),
 * leaving any other rows alone. Returns the counts written.
 */
export async function seed(db: Sequelize, now: Date = new Date()): Promise<{ nodes: number; subnets: number; interfaces: number }> {
  const m = initModels(db);
  await db.transaction(async (transaction) => {
    for (const n of SEED.nodes) {
      await m.NodeRow.upsert({ ...n, status: 'ACTIVE', created_at: now, modified_at: now, deleted_at: null }, { transaction });
    }
    for (const s of SEED.subnets) {
      await m.MultiSubnet.upsert({ ...s, status: 'ACTIVE', created_at: now, modified_at: now, deleted_at: null }, { transaction });
    }
    for (const i of SEED.interfaces) {
      const node = SEED.nodes[i.node]!;
      await m.MultiInterface.upsert(
        {
          port_id: i.port_id,
          subnet_id: SEED.subnets[i.subnet]!.subnet_id,
          macaddress: i.macaddress,
          attached_node_id: node.attached_node_id,
          attached_node_name: node.attached_node_name,
          cr_namespace: 'multinic-system',
          cr_name: `multinic-${node.attached_node_name}`,
          netplan_success: i.netplan_success,
          status: 'ACTIVE',
          address: i.address,
          mtu: i.mtu,
          created_at: now,
          modified_at: now,
          deleted_at: null,
        },
        { transaction },
      );
    }
    for (const n of SEED.nodes) {
      await m.CrState.upsert({ cr_namespace: 'multinic-system', cr_name: `multinic-${n.attached_node_name}`, spec_hash: null, last_updated: now }, { transaction });
    }
  });
  return { nodes: SEED.nodes.length, subnets: SEED.subnets.length, interfaces: SEED.interfaces.length };
}
