import { errorKinds } from '@app/common';

/** Error codes of chat. */
export enum ChatErrorCode {
  ConversationNotFound = 'conversation_not_found',
}

/** How the API treats each chat error code (HTTP status by kind, mapped once in the global filter). */
export const CHAT_ERROR_KINDS = errorKinds<ChatErrorCode>({
  [ChatErrorCode.ConversationNotFound]: 'not_found',
});
