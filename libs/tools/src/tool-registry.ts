import { DomainException, isDiskFull } from '@app/common';
import { AnthropicToolParam, fail, ToolContext, ToolDefinition, ToolResult } from './tool';
import { validateAgainstSchema } from './schema-validator';
import { ToolsErrorCode } from './tools.errors';

/** The tools by name; runs a call with its input validated at the boundary and every failure turned into a result. */
export class ToolRegistry {
  private readonly tools = new Map<string, ToolDefinition>();

  constructor(tools: ToolDefinition[] = []) {
    for (const tool of tools) this.register(tool);
  }

  register(tool: ToolDefinition): void {
    if (this.tools.has(tool.name)) throw new Error(`tool ${tool.name} registered twice`);
    this.tools.set(tool.name, tool);
  }

  get(name: string): ToolDefinition<unknown, unknown> | undefined {
    return this.tools.get(name);
  }

  names(): string[] {
    return [...this.tools.keys()];
  }

  /** The Anthropic `tools` parameter for an allow-list of tool names (unknown names throw: a wiring bug). */
  definitions(names: string[] = this.names()): AnthropicToolParam[] {
    return names.map((name) => {
      const tool = this.tools.get(name);
      if (!tool) throw new DomainException(ToolsErrorCode.UnknownTool, `unknown tool ${name}`);
      return { name: tool.name, description: tool.description, input_schema: tool.inputSchema };
    });
  }

  /** Runs one call; never throws. */
  async run(name: string, input: unknown, ctx: ToolContext): Promise<ToolResult<unknown>> {
    const tool = this.tools.get(name);
    if (!tool) return fail(ToolsErrorCode.UnknownTool, `There is no tool named ${name}.`);
    return runTool(tool, input, ctx);
  }
}

/** Runs one tool call: validates the input, then maps thrown domain errors onto error results. */
export async function runTool<I, O>(tool: ToolDefinition<I, O>, input: unknown, ctx: ToolContext): Promise<ToolResult<O>> {
  // A model's arguments that did not parse as a JSON object reach here as their raw text.
  if (typeof input === 'string') {
    const shown = input.length > 200 ? `${input.slice(0, 200)}…` : input;
    return fail(
      ToolsErrorCode.InvalidInput,
      `Invalid input for ${tool.name}: the arguments are not a JSON object (got ${JSON.stringify(shown)}); call it again with a JSON object that matches its schema.`,
    );
  }
  const problem = validateAgainstSchema(tool.inputSchema, input ?? {});
  if (problem) return fail(ToolsErrorCode.InvalidInput, `Invalid input for ${tool.name}: ${problem}.`);
  if (ctx.signal.aborted) return fail(ToolsErrorCode.Aborted, 'The job was stopped before the tool ran.');
  try {
    return await tool.run((input ?? {}) as I, ctx);
  } catch (error) {
    // A full disk, whether fs or git says so, is its own code: the agent cannot fix it, the job ends.
    if (isDiskFull(error))
      return fail(
        ToolsErrorCode.DiskFull,
        `${tool.name} could not write: the workspace disk is full (${error instanceof Error ? error.message : String(error)})`,
      );
    if (error instanceof DomainException) return fail(error.code, error.message, error.details);
    if (ctx.signal.aborted) return fail(ToolsErrorCode.Aborted, 'The job was stopped while the tool ran.');
    return fail(ToolsErrorCode.Internal, `${tool.name} failed unexpectedly: ${error instanceof Error ? error.message : String(error)}`);
  }
}
