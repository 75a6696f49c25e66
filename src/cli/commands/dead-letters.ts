import type { Command } from "commander"; export function registerDeadLetters(_p: Command): void {}
