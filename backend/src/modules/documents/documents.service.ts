import { randomUUID } from 'node:crypto';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { FastifyBaseLogger, FastifyInstance } from 'fastify';
import { sql } from '../../db/sql.js';
import { badRequest, HttpProblem, notFound } from '../../lib/problem.js';
import type { AuditContext } from '../../plugins/app/audit.js';
import type { Withheld } from '../../plugins/app/disclosure.js';
import type { Actor } from '../../types.js';
import type { JournalService } from '../cases/journal.service.js';
import type { DocumentMediaType } from './documents.content.js';
import { openDocument, sealDocument, sha256Hex } from './documents.crypto.js';
import type { DocumentOut, UploadFields } from './documents.schemas.js';
import { CONSENT_OF_CASE_SQL, DOCUMENT_SQL, DOCUMENTS_EXTRA, INSERT_DOCUMENT_SQL, MEETING_OF_CASE_SQL } from './documents.sql.js';

/** A checked upload: the fields, and the bytes whose type was found by their content. */
export interface Upload extends UploadFields {
  bytes: Buffer;
  mediaType: DocumentMediaType;
}

export interface Download {
  document: DocumentOut;
  bytes: Buffer;
}

const documentCorrupt = (): HttpProblem =>
  new HttpProblem(
    409,
    'document_corrupt',
    'Document cannot be opened',
    'The stored document failed its integrity check, so it is not shown. Upload the document again, and tell support the request id.',
  );

/**
 * Documents of a case (PDF, JPEG, PNG): stored encrypted, each of one information category and
 * gated like a journal entry — who may upload, and who may see it, are the same decisions.
 */
export class DocumentsService {
  constructor(
    private readonly app: FastifyInstance,
    private readonly journal: JournalService,
  ) {}

  /**
   * Stores one document on a case, optionally attached to one of its consents (the signed form
   * as evidence) or meetings. A partner uploads only what may cross to the owning unit now; that
   * disclosure is recorded with the upload. The audit event carries the content's SHA-256.
   */
  async upload(em: EntityManager, actor: Actor, caseId: string, input: Upload, ctx: AuditContext): Promise<DocumentOut> {
    const category = this.app.policy.mayAuthorCategory(actor, input.category);
    return this.app.caseAccess.write(em, actor, caseId, 'case.entry.write', ctx, async (tx, access) => {
      if (!category.allow) {
        throw category.reason === 'unknown_category'
          ? badRequest('Unknown category: choose one of the configured information categories.', 'unknown_category', '/category')
          : badRequest('Your agency cannot add documents of this category.', 'category_not_allowed', '/category');
      }
      const toOwner = this.journal.crossingToOwner(actor, access, input.category);
      if ((input.consentId || input.meetingId) && access.decision.reason !== 'owner') {
        throw badRequest(
          "Only the case's social services unit attaches documents to a consent or a meeting; upload it to the case instead.",
          'attachment_owner_only',
          input.consentId ? '/consentId' : '/meetingId',
        );
      }
      if (input.consentId && input.meetingId)
        throw badRequest('Attach a document to a consent or to a meeting, not both.', 'attachment_ambiguous', ['/consentId', '/meetingId']);
      if (input.consentId && (await sql(tx, CONSENT_OF_CASE_SQL, [input.consentId, caseId])).length === 0) {
        throw badRequest('The consent is not one of this case.', 'consent_not_in_case', '/consentId');
      }
      if (input.meetingId && (await sql(tx, MEETING_OF_CASE_SQL, [input.meetingId, caseId])).length === 0) {
        throw badRequest('The meeting is not one of this case.', 'meeting_not_in_case', '/meetingId');
      }
      const id = randomUUID();
      const sha256 = sha256Hex(input.bytes);
      const sealed = sealDocument(this.app.keys.documents, id, input.bytes);
      const [row] = await sql<{ document: DocumentOut }>(tx, INSERT_DOCUMENT_SQL, [
        id,
        caseId,
        input.consentId ?? null,
        input.meetingId ?? null,
        actor.id,
        actor.agencyId,
        input.category,
        input.title ?? null,
        input.mediaType,
        input.bytes.length,
        sha256,
        sealed.iv,
        sealed.authTag,
        sealed.ciphertext,
      ]);
      // The content's hash in the signed audit trail: what was stored can be proven later.
      const event = { ...this.app.caseAccess.event(access, 'document.upload', 'document', id), reason: `sha256:${sha256}` };
      if (toOwner) {
        await this.app.consents.recordWriteDisclosure(
          tx,
          ctx,
          access.facts,
          {
            itemType: 'document',
            itemId: id,
            category: input.category,
            fromAgencyId: actor.agencyId,
            consentIds: toOwner.consentIds,
          },
          { ...event, consentIds: [...new Set([...access.consentIds, ...toOwner.consentIds])] },
        );
      } else {
        await this.app.audit.record(tx, ctx, event);
      }
      return row!.document;
    });
  }

  /** The case's documents the caller may see (metadata only), newest first; the others tallied as withheld. */
  async list(em: EntityManager, actor: Actor, caseId: string, ctx: AuditContext): Promise<{ items: DocumentOut[]; withheld: Withheld[] }> {
    const access = await this.app.caseAccess.load<{ documents: DocumentOut[] }>(em, actor, caseId, 'case.read', ctx, {
      select: DOCUMENTS_EXTRA,
      params: [],
    });
    const view = await this.app.caseAccess.view(em, actor, access);
    const items = this.app.policy.shapeItems('document', access.extra.documents, view);
    await this.app.consents.recordRead(
      em,
      actor,
      ctx,
      access.facts,
      { ...this.app.caseAccess.event(access, 'document.list', 'document', caseId), resourceId: null },
      view,
    );
    return { items, withheld: view.withheld };
  }

  /**
   * One document's bytes, decrypted and checked, after the read is audited (with its ledger row
   * when it crosses agencies). A document the caller may not see answers 404 like a missing one.
   */
  async download(em: EntityManager, actor: Actor, id: string, ctx: AuditContext, log: FastifyBaseLogger): Promise<Download> {
    const [row] = await sql<{ case_id: string; document: DocumentOut; iv: Buffer; auth_tag: Buffer; ciphertext: Buffer }>(
      em,
      DOCUMENT_SQL,
      [id],
    );
    const resource = { action: 'document.download', resourceType: 'document', resourceId: id } as const;
    if (!row) {
      await this.app.audit.record(em, ctx, { ...resource, outcome: 'denied', reason: 'not_found' });
      throw notFound();
    }
    const access = await this.app.caseAccess.load(em, actor, row.case_id, 'case.read', ctx);
    const view = await this.app.caseAccess.view(em, actor, access);
    const decision = view.item(row.document.authorAgencyId, row.document.category);
    const [document] = this.app.policy.shapeItems('document', [row.document], view);
    const event = this.app.caseAccess.event(access, 'document.download', 'document', id);
    if (!document) {
      await this.app.audit.record(em, ctx, { ...event, outcome: 'denied', reason: decision.reason });
      throw notFound();
    }
    const bytes = openDocument(this.app.keys.documents, id, { iv: row.iv, authTag: row.auth_tag, ciphertext: row.ciphertext });
    if (!bytes || sha256Hex(bytes) !== row.document.sha256) {
      log.error({ documentId: id }, 'stored document failed its integrity check');
      await this.app.audit.record(em, ctx, { ...event, outcome: 'error', reason: 'document_corrupt' });
      throw documentCorrupt();
    }
    await this.app.consents.recordRead(em, actor, ctx, access.facts, event, view);
    return { document, bytes };
  }
}
