// The operation a piece of code runs in, carried through async calls by AsyncLocalStorage: logs
// emitted inside `monitorOperation(...)` or a monitored function are tagged with its name.
import { AsyncLocalStorage } from 'node:async_hooks';

/** What is known about the running operation. */
export interface OperationContext {
  /** The operation's name, as given to monitorOperation / monitorFunction. */
  readonly operation: string;
  /** The enclosing operation, when operations nest. */
  readonly parent?: OperationContext;
}

export const operationStorage = new AsyncLocalStorage<OperationContext>();

/** The operation the caller runs in, if any. */
export function currentOperation(): OperationContext | undefined {
  return operationStorage.getStore();
}
