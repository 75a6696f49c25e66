-- MultiNIC database users with least privilege (MySQL 8 / MariaDB 10.5+).
--
-- Passwords and names are parameters: set these session variables in the same
-- session, then source this file as an administrator. Nothing secret lives here.
--
--   mysql -u root -p -e "
--     SET @db_name = 'multinic_db', @user_host = '%',
--         @agent_user = 'multinic_agent',         @agent_password = '<from your secret store>',
--         @publisher_user = 'multinic_publisher', @publisher_password = '<from your secret store>',
--         @migrator_user = 'multinic_migrate',    @migrator_password = '<from your secret store>';
--     SOURCE deploy/sql/users.sql;"
--
-- Run it after `multinic db migrate`: column and table grants need the tables to exist.
-- Re-running it is safe (CREATE USER IF NOT EXISTS; grants are additive); run it again
-- after the OpenStack side adds ON UPDATE CURRENT_TIMESTAMP to a multi_interface column.
--
-- Each of the three parts runs only when its @…_user is set, so one user can be added
-- alone. Per-node agent users (README "Per-node credentials"; scripts/node-credentials.sh)
-- are made that way, one per node, each with the agent's grants:
--   SET @db_name = 'multinic_db', @user_host = '%', @agent_user = 'mn-worker-1', @agent_password = '…';
--   SOURCE deploy/sql/users.sql;
-- MySQL 8 allows user names of at most 32 characters. The database cannot confine an agent
-- to its own node's rows (no row-level privileges in MySQL or MariaDB): a per-node user buys
-- attribution (SHOW PROCESSLIST, audit logs) and revoking one node (DROP USER) alone; the
-- column grant below is what bounds any agent user.
--
-- agent     reads the four OpenStack tables; may UPDATE only multi_interface.netplan_success
--           (a column grant: address, modified_at or deleted_at cannot be changed, nothing can
--           be deleted) — plus, only where the schema declares them, the columns with
--           ON UPDATE CURRENT_TIMESTAMP, which MultiNIC assigns their own value so that they
--           do not move; keeps its own apply state in multinic_port_state.
-- publisher reads the four tables and multinic_port_state; writes nothing. Its MySQL named
--           lock (GET_LOCK) needs no privilege.
-- migrator  runs `multinic db migrate` (and the demo seed): schema changes on this database only.

SET @q_db = CONCAT('`', REPLACE(@db_name, '`', '``'), '`');
-- Without @db_name and @user_host nothing can be granted: PREPARE of NULL fails here.
SET @s = IF(@q_db IS NULL OR @user_host IS NULL, NULL, 'DO 0'); PREPARE s FROM @s; DEALLOCATE PREPARE s;

-- Each statement is built with QUOTE() around every name and password, so a parameter is
-- always a literal, then prepared and run (CREATE USER and GRANT take no placeholders).
-- A part whose user is unset builds NULL statements, run as `DO 0` (nothing); a set user
-- without its password fails (`IDENTIFIED BY NULL` is a syntax error).

SET @agent = IF(@agent_user IS NULL, NULL, CONCAT(QUOTE(@agent_user), '@', QUOTE(@user_host)));
SET @s = CONCAT('CREATE USER IF NOT EXISTS ', @agent, ' IDENTIFIED BY ', QUOTE(@agent_password)); SET @s = COALESCE(@s, 'DO 0'); PREPARE s FROM @s; EXECUTE s; DEALLOCATE PREPARE s;
SET @s = CONCAT('GRANT SELECT ON ', @q_db, '.multi_subnet TO ', @agent); SET @s = COALESCE(@s, 'DO 0'); PREPARE s FROM @s; EXECUTE s; DEALLOCATE PREPARE s;
SET @s = CONCAT('GRANT SELECT ON ', @q_db, '.node_table TO ', @agent); SET @s = COALESCE(@s, 'DO 0'); PREPARE s FROM @s; EXECUTE s; DEALLOCATE PREPARE s;
-- A multi_interface column the server rewrites by itself (ON UPDATE CURRENT_TIMESTAMP, as
-- modified_at is in some OpenStack schemas) is kept by assigning it its own value
-- (`SET netplan_success = 1, modified_at = modified_at`), which needs UPDATE on it; such
-- columns are read from the schema, so on a table without one the grant stays netplan_success.
SET @kept = (SELECT GROUP_CONCAT(CONCAT(', `', REPLACE(COLUMN_NAME, '`', '``'), '`') ORDER BY ORDINAL_POSITION SEPARATOR '')
  FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = @db_name AND TABLE_NAME = 'multi_interface' AND LOWER(EXTRA) LIKE '%on update%');
SET @s = CONCAT('GRANT SELECT, UPDATE (netplan_success', IFNULL(@kept, ''), ') ON ', @q_db, '.multi_interface TO ', @agent); SET @s = COALESCE(@s, 'DO 0'); PREPARE s FROM @s; EXECUTE s; DEALLOCATE PREPARE s;
SET @s = CONCAT('GRANT SELECT ON ', @q_db, '.cr_state TO ', @agent); SET @s = COALESCE(@s, 'DO 0'); PREPARE s FROM @s; EXECUTE s; DEALLOCATE PREPARE s;
SET @s = CONCAT('GRANT SELECT, INSERT, UPDATE ON ', @q_db, '.multinic_port_state TO ', @agent); SET @s = COALESCE(@s, 'DO 0'); PREPARE s FROM @s; EXECUTE s; DEALLOCATE PREPARE s;

SET @publisher = IF(@publisher_user IS NULL, NULL, CONCAT(QUOTE(@publisher_user), '@', QUOTE(@user_host)));
SET @s = CONCAT('CREATE USER IF NOT EXISTS ', @publisher, ' IDENTIFIED BY ', QUOTE(@publisher_password)); SET @s = COALESCE(@s, 'DO 0'); PREPARE s FROM @s; EXECUTE s; DEALLOCATE PREPARE s;
SET @s = CONCAT('GRANT SELECT ON ', @q_db, '.multi_subnet TO ', @publisher); SET @s = COALESCE(@s, 'DO 0'); PREPARE s FROM @s; EXECUTE s; DEALLOCATE PREPARE s;
SET @s = CONCAT('GRANT SELECT ON ', @q_db, '.node_table TO ', @publisher); SET @s = COALESCE(@s, 'DO 0'); PREPARE s FROM @s; EXECUTE s; DEALLOCATE PREPARE s;
SET @s = CONCAT('GRANT SELECT ON ', @q_db, '.multi_interface TO ', @publisher); SET @s = COALESCE(@s, 'DO 0'); PREPARE s FROM @s; EXECUTE s; DEALLOCATE PREPARE s;
SET @s = CONCAT('GRANT SELECT ON ', @q_db, '.cr_state TO ', @publisher); SET @s = COALESCE(@s, 'DO 0'); PREPARE s FROM @s; EXECUTE s; DEALLOCATE PREPARE s;
SET @s = CONCAT('GRANT SELECT ON ', @q_db, '.multinic_port_state TO ', @publisher); SET @s = COALESCE(@s, 'DO 0'); PREPARE s FROM @s; EXECUTE s; DEALLOCATE PREPARE s;

SET @migrator = IF(@migrator_user IS NULL, NULL, CONCAT(QUOTE(@migrator_user), '@', QUOTE(@user_host)));
SET @s = CONCAT('CREATE USER IF NOT EXISTS ', @migrator, ' IDENTIFIED BY ', QUOTE(@migrator_password)); SET @s = COALESCE(@s, 'DO 0'); PREPARE s FROM @s; EXECUTE s; DEALLOCATE PREPARE s;
SET @s = CONCAT('GRANT SELECT, INSERT, UPDATE, CREATE, ALTER, INDEX ON ', @q_db, '.* TO ', @migrator); SET @s = COALESCE(@s, 'DO 0'); PREPARE s FROM @s; EXECUTE s; DEALLOCATE PREPARE s;
