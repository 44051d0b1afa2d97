import { DomainException, ErrorKind } from '@app/common';

/** Error codes of chat. */
export enum ChatErrorCode {
  ConversationNotFound = 'conversation_not_found',
}

/** The one exception class of chat. */
export class ChatException extends DomainException {
  readonly kind: ErrorKind;

  constructor(code: ChatErrorCode, message: string, details?: unknown) {
    super(code, message, details);
    this.kind = ChatException.kindOf(code);
  }

  private static kindOf(code: ChatErrorCode): ErrorKind {
    switch (code) {
      case ChatErrorCode.ConversationNotFound:
        return 'not_found';
    }
  }
}
