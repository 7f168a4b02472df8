/**
 * Type-level tests of the public API's key signatures: what an application's code relies on when it
 * is compiled. They run under vitest's type checking of expressions (`expectTypeOf`) and fail the
 * type check (`npm run typecheck`) when a signature drifts.
 */
import { describe, expect, expectTypeOf, it } from 'vitest'
import * as app from '@weft/core'
import * as backend from '@weft/core/backend'
import {
  TenantFactory,
  type ChangeHash,
  type ChangeStore,
  type Cursor,
  type Database,
  type DocId,
  type Document,
  type Tenant,
  type TenantFactoryOptions,
} from '@weft/core'

interface Order {
  status: 'new' | 'pending' | 'shipped'
  lines: { sku: string; qty: number }[]
}

describe('public API signatures', () => {
  it('TenantFactory: options object in, Tenant out', () => {
    expectTypeOf(TenantFactory).constructorParameters.toEqualTypeOf<[options?: TenantFactoryOptions]>()
    expectTypeOf<TenantFactory['createTenant']>().parameter(0).toHaveProperty('password').toEqualTypeOf<string>()
    expectTypeOf<TenantFactory['createTenant']>().returns.resolves.toEqualTypeOf<Tenant>()
    expectTypeOf<TenantFactory['openTenant']>().parameter(1).toEqualTypeOf<{ password: string }>()
    expectTypeOf<TenantFactory['openTenant']>().returns.resolves.toEqualTypeOf<Tenant>()
    expectTypeOf<TenantFactory['openOrCreateTenant']>().parameter(0).toHaveProperty('tenantId')
    expectTypeOf<TenantFactory['openOrCreateTenant']>().returns.resolves.toEqualTypeOf<Tenant>()
    expectTypeOf<TenantFactory['close']>().returns.toEqualTypeOf<Promise<void>>()
  })

  it('Tenant.openDB takes a name and gives a Database', () => {
    expectTypeOf<Tenant['openDB']>().parameter(0).toEqualTypeOf<string>()
    expectTypeOf<Tenant['openDB']>().returns.resolves.toEqualTypeOf<Database>()
    // @ts-expect-error a database is named by a string, not a number
    expectTypeOf<Tenant['openDB']>().toBeCallableWith(42)
  })

  it('Database.createDocument, changeDoc and getDocument carry the document type through', () => {
    const db = {} as Database
    const create = () => db.createDocument<Order>({ data: { status: 'new', lines: [] } })
    expectTypeOf(create).returns.resolves.toEqualTypeOf<Document<Order>>()

    const doc = {} as Document<Order>
    const change = () =>
      db.changeDoc(doc, (d) => {
        expectTypeOf(d).toEqualTypeOf<Document<Order>>()
        expectTypeOf(d.getData().status).toEqualTypeOf<'new' | 'pending' | 'shipped'>()
        d.getData().status = 'pending'
      })
    expectTypeOf(change).returns.resolves.toEqualTypeOf<Document<Order>>()
    expectTypeOf<Document<Order>['getId']>().returns.toEqualTypeOf<DocId>()
    expectTypeOf<Document<Order>['getData']>().returns.toEqualTypeOf<Order>()

    const read = () => db.getDocument<Order>({} as DocId)
    expectTypeOf(read).returns.resolves.toEqualTypeOf<Document<Order> | undefined>()

    // Never called: only compiled, so each line must be a type error.
    void (() => {
      // @ts-expect-error a field the document type does not have
      void db.changeDoc(doc, (d) => void (d.getData().colour = 'red'))
      // @ts-expect-error a value outside the union
      void db.changeDoc(doc, (d) => void (d.getData().status = 'lost'))
      // @ts-expect-error the data must match the document type it creates
      void db.createDocument<Order>({ data: { status: 'unknown', lines: [] } })
    })
  })

  it('ChangeStore: content-addressed reads and writes, arrival-order scans', () => {
    expectTypeOf<ChangeStore['has']>().parameter(0).toEqualTypeOf<readonly ChangeHash[]>()
    expectTypeOf<ChangeStore['has']>().returns.resolves.toEqualTypeOf<boolean[]>()
    expectTypeOf<ChangeStore['getAllChangeHashes']>().returns.resolves.toEqualTypeOf<ChangeHash[]>()
    expectTypeOf<ChangeStore['getAllChangeHashesForDoc']>().parameter(0).toEqualTypeOf<DocId>()
    expectTypeOf<ChangeStore['findNewChanges']>().parameter(0).toEqualTypeOf<Iterable<ChangeHash>>()
    expectTypeOf<ChangeStore['scan']>().parameter(0).toEqualTypeOf<Cursor | null>()
    expectTypeOf<ChangeStore['close']>().returns.toEqualTypeOf<Promise<void>>()
    expectTypeOf<Database['getStore']>().returns.toEqualTypeOf<ChangeStore>()
    // Branded ids do not mix: a plain string is not a ChangeHash, nor a DocId a ChangeHash.
    expectTypeOf<string>().not.toExtend<ChangeHash>()
    expectTypeOf<DocId>().not.toExtend<ChangeHash>()
  })
})

// What a storage backend or the network packages need, and an application does not.
const INTERNALS = [
  'BaseChangeStore',
  'MemoryChangeStore',
  'MemoryKeyValueStore',
  'copyMissingEntries',
  'addToIndex',
  'indexedFingerprint',
  'parseEntry',
  'verifyEntry',
  'createEntry',
  'hashEntryBytes',
  'packValue',
  'unpackValue',
  'toBase64Url',
  'ByteWriter',
  'processReconcileMessage',
  'packHashes',
  'signDetached',
  'randomBytes',
  'Domain',
  'serverSignerOf',
  'toTenantId',
  'toWeftError',
  'OPEN_PERMIT',
  'backoffDelay',
  'RelationshipStateStore',
  'GrantAuthority',
] as const

describe('three entry points: @weft/core, @weft/core/backend, @weft/core/testing', () => {
  it('the application entry exports no backend internal; the backend entry exports each of them', () => {
    for (const name of INTERNALS) {
      expect(Object.keys(app), name).not.toContain(name)
      expect(Object.keys(backend), name).toContain(name)
    }
  })

  it('a name is in both entries only when an application calls it too', () => {
    // Errors, ids, `ready`, key pairs, the in-memory factory and the signature verifier pool (a browser
    // application builds one for its store, a Node backend for its own): both use them alike.
    const shared = [
      'VerifierPool',
      'WeftError',
      'ErrorCodes',
      'isWeftError',
      'asChangeHash',
      'asDocId',
      'asTenantId',
      'asKeyId',
      'asDbName',
      'sameOrigin',
      'isChangeHash',
      'isDocId',
      'isDbName',
      'ready',
      'generateSigningKeyPair',
      'MemoryStoreFactory',
    ]
    const inBoth = Object.keys(backend).filter((name) => Object.keys(app).includes(name))
    expect(inBoth.sort()).toEqual(shared.sort())
  })

  it('backend types are not reachable from the application entry', () => {
    expectTypeOf<backend.KeyValueStore['get']>().returns.resolves.toEqualTypeOf<Uint8Array | undefined>()
    expectTypeOf<InstanceType<typeof backend.BaseChangeStore>>().toExtend<ChangeStore>()
    // @ts-expect-error BaseChangeStore is in @weft/core/backend only
    type _Base = typeof app.BaseChangeStore
    // @ts-expect-error KeyValueStore is in @weft/core/backend only
    type _Kv = app.KeyValueStore
    // @ts-expect-error EntryEnvelope is in @weft/core/backend only
    type _Envelope = app.EntryEnvelope
  })
})
