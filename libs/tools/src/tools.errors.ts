import { DomainException, ErrorKind } from '@app/common';

/** Error codes of the tools domain; tool results carry the same codes as strings. */
export enum ToolsErrorCode {
  FileNotFound = 'file_not_found',
  NotAFile = 'not_a_file',
  BinaryFile = 'binary_file',
  FileTooLarge = 'file_too_large',
  OutputTooLarge = 'output_too_large',
  OutsideWorkspace = 'outside_workspace',
  PatchFailed = 'patch_failed',
  NotUnique = 'not_unique',
  NoMatch = 'no_match',
  InvalidInput = 'invalid_input',
  UnknownTool = 'unknown_tool',
  TestsNotGreen = 'tests_not_green',
  NothingToCommit = 'nothing_to_commit',
  PolicyBlocked = 'policy_blocked',
  ApprovalRequired = 'approval_required',
  NoCommand = 'no_command',
  CommandFailed = 'command_failed',
  SandboxUnavailable = 'sandbox_unavailable',
  Timeout = 'timeout',
  Aborted = 'aborted',
  GitFailed = 'git_failed',
  WorkspaceUnavailable = 'workspace_unavailable',
  DiskFull = 'disk_full',
  /** A sandboxed run wrote more than its workspace's disk quota (SANDBOX_DISK_MB) and was stopped. */
  DiskQuotaExceeded = 'disk_quota_exceeded',
  Internal = 'internal_error',
}

/** The one exception class of the tools domain; tool runs turn it into an error result. */
export class ToolsException extends DomainException {
  readonly kind: ErrorKind;

  constructor(
    override readonly code: ToolsErrorCode,
    message: string,
    details?: unknown,
  ) {
    super(code, message, details);
    this.kind = ToolsException.kindOf(code);
  }

  private static kindOf(code: ToolsErrorCode): ErrorKind {
    switch (code) {
      case ToolsErrorCode.FileNotFound:
      case ToolsErrorCode.UnknownTool:
        return 'not_found';
      case ToolsErrorCode.NotAFile:
      case ToolsErrorCode.BinaryFile:
      case ToolsErrorCode.InvalidInput:
      case ToolsErrorCode.OutsideWorkspace:
        return 'validation';
      case ToolsErrorCode.FileTooLarge:
      case ToolsErrorCode.OutputTooLarge:
      case ToolsErrorCode.PatchFailed:
      case ToolsErrorCode.NotUnique:
      case ToolsErrorCode.NoMatch:
      case ToolsErrorCode.NoCommand:
      case ToolsErrorCode.CommandFailed:
      case ToolsErrorCode.DiskQuotaExceeded:
        return 'unprocessable';
      case ToolsErrorCode.TestsNotGreen:
      case ToolsErrorCode.NothingToCommit:
      case ToolsErrorCode.ApprovalRequired:
        return 'conflict';
      case ToolsErrorCode.PolicyBlocked:
        return 'forbidden';
      case ToolsErrorCode.SandboxUnavailable:
      case ToolsErrorCode.WorkspaceUnavailable:
      case ToolsErrorCode.DiskFull:
      case ToolsErrorCode.Timeout:
      case ToolsErrorCode.Aborted:
        return 'unavailable';
      case ToolsErrorCode.GitFailed:
      case ToolsErrorCode.Internal:
        return 'internal';
    }
  }
}
