/**
 * `kubegate agent register|list|delete|token …`: administration of agents through the REST
 * API (CONTRACT.md). The `agent` command itself still runs the agent; these are its
 * subcommands, one file each.
 */
import type { Command } from 'commander';
import { registerCommand } from './agent_register.js';
import { listCommand } from './agent_list.js';
import { deleteCommand } from './agent_delete.js';
import { tokenCommand } from './agent_tokens.js';

/** Adds the administration subcommands to the `agent` command. */
export function withAgentAdministration(agent: Command): Command {
  agent.addCommand(registerCommand());
  agent.addCommand(listCommand());
  agent.addCommand(deleteCommand());
  agent.addCommand(tokenCommand());
  return agent;
}
