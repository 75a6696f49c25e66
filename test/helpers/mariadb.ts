// Moved to src/sandbox so the bench can share it without importing test helpers.
export * from '../../src/sandbox/test-database.js';

/** The agent's grants from deploy/sql/users.sql (`{db}`, `{user}` filled by createUser): the agent must work with nothing more. */
export const AGENT_GRANTS: string[] = [
  'GRANT SELECT ON {db}.multi_subnet TO {user}',
  'GRANT SELECT ON {db}.node_table TO {user}',
  'GRANT SELECT, UPDATE (netplan_success) ON {db}.multi_interface TO {user}',
  'GRANT SELECT ON {db}.cr_state TO {user}',
  'GRANT SELECT, INSERT, UPDATE ON {db}.multinic_port_state TO {user}',
];
