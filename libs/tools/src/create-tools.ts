import { Sandbox } from './sandbox/sandbox';
import { SemanticIndexCache } from './search/semantic-index';
import type { ToolDefinition } from './tool';
import { ToolRegistry } from './tool-registry';
import { commitChangesTool } from './tools/commit.tool';
import { readLintsTool, runLintTool, runTestsTool } from './tools/check.tools';
import { applyPatchTool, editFileTool } from './tools/edit.tools';
import { findFilesTool, listFilesTool, readFileTool } from './tools/file-read.tools';
import { getDiffTool, getRepoStateTool } from './tools/repo-state.tools';
import { searchCodeTool, semanticSearchTool } from './tools/search.tools';

/** The names of the repository tools. */
export const READ_TOOL_NAMES = [
  'read_file',
  'list_files',
  'find_files',
  'search_code',
  'semantic_search',
  'get_repo_state',
  'get_diff',
  'read_lints',
] as const;
export const WRITE_TOOL_NAMES = ['edit_file', 'apply_patch', 'run_tests', 'run_lint', 'commit_changes'] as const;

/** Every repository tool, wired to a sandbox and a semantic index cache. */
export function createRepositoryTools(deps: { sandbox: Sandbox; semanticIndex?: SemanticIndexCache }): ToolDefinition[] {
  return [
    readFileTool,
    listFilesTool,
    findFilesTool,
    searchCodeTool,
    semanticSearchTool(deps.semanticIndex ?? new SemanticIndexCache()),
    getRepoStateTool,
    getDiffTool,
    readLintsTool,
    editFileTool,
    applyPatchTool,
    runTestsTool(deps.sandbox),
    runLintTool(deps.sandbox),
    commitChangesTool,
  ];
}

/** A registry holding every repository tool. */
export function createToolRegistry(deps: { sandbox: Sandbox; semanticIndex?: SemanticIndexCache }): ToolRegistry {
  return new ToolRegistry(createRepositoryTools(deps));
}
