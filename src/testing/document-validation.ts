/**
 * Collection validators (`create`/`collMod` with `validator`, `validationLevel`,
 * `validationAction`): a write whose document fails the validator is refused with mongod's
 * ServerErrorCode.DocumentValidationFailure (121), unless the command sets `bypassDocumentValidation`.
 * Validators are query filters; `$jsonSchema` is not supported and is refused when the validator
 * is set, not when a write meets it.
 */
import type { Document } from 'bson';
import { enumArg } from './command-args.js';
import type { ApplyOp } from './data-node.js';
import type { DocumentStore } from './document-store.js';
import { type QueryEngine } from './query-engine.js';
import { isPlainDocument } from './plain-document.js';
import { CommandError, ServerErrorCode } from './server-errors.js';

const LEVELS = new Set(['off', 'strict', 'moderate']);
const ACTIONS = new Set(['error', 'warn', 'errorAndLog']);

function containsJsonSchema(value: unknown): boolean {
  if (Array.isArray(value)) return value.some(containsJsonSchema);
  if (!isPlainDocument(value)) return false;
  return Object.entries(value).some(([key, inner]) => key === '$jsonSchema' || containsJsonSchema(inner));
}

/**
 * Checks the validation options of a create or collMod command; returns those it sets.
 * @throws CommandError for a malformed option or a validator the simulator cannot run.
 */
export function validationOptions(command: Document, engine: QueryEngine): Document {
  const options: Document = {};
  const validator: unknown = command['validator'];
  if (validator !== undefined) {
    if (!isPlainDocument(validator))
      throw new CommandError(ServerErrorCode.TypeMismatch, "'validator' must be a document");
    if (containsJsonSchema(validator))
      throw new CommandError(
        ServerErrorCode.NotImplemented,
        'the simulator does not support $jsonSchema validators (use query operators)',
      );
    engine.matches({}, validator);
    options['validator'] = validator;
  }
  const level = enumArg(command, 'validationLevel', LEVELS);
  if (level !== undefined) options['validationLevel'] = level;
  const action = enumArg(command, 'validationAction', ACTIONS);
  if (action !== undefined) options['validationAction'] = action;
  return options;
}

/** An ApplyOp that refuses inserts and replacements whose document fails the collection's validator. */
export function validatedApply(
  store: DocumentStore,
  engine: QueryEngine,
  apply: ApplyOp,
  bypass: boolean,
): ApplyOp {
  if (bypass) return apply;
  return (op) => {
    if (op.op === 'insert' || op.op === 'replace') {
      const options = store.collectionOptions(op.ns);
      const validator: unknown = options['validator'];
      const level: unknown = options['validationLevel'] ?? 'strict';
      const action: unknown = options['validationAction'] ?? 'error';
      if (isPlainDocument(validator) && level !== 'off' && action !== 'warn') {
        const before = op.op === 'replace' ? store.findById(op.ns, op.document['_id']) : undefined;
        // 'moderate' leaves documents that already failed the validator free to change.
        const exempt = level === 'moderate' && before !== undefined && !engine.matches(before, validator);
        if (!exempt && !engine.matches(op.document, validator)) {
          throw new CommandError(ServerErrorCode.DocumentValidationFailure, 'Document failed validation', {
            errInfo: { failingDocumentId: op.document['_id'] as unknown, details: { operatorName: '$and' } },
          });
        }
      }
    }
    apply(op);
  };
}
