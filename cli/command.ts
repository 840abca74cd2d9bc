import { OptSpec, Parsed } from './args.js';

export interface Command {
  name: string;
  usage: string;
  summary: string;
  options: OptSpec[];
  positional?: { min: number; max: number; names: string };
  run(o: Parsed): Promise<void>;
}
