/**
 * The native VM monitor's side of microvm's bulk channel disk (native/vmmon/bulk.c, ADR 0084),
 * driven through native/build/tests/bulk-slots against a real sparse file, the control line faked:
 * stdin lands in free 1 MiB slots named by BULK_IN, goes inline when every slot is held, and a
 * slot is freed (and punched out) by its own session's DONE or that session's end.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { nativeTestLines } from '../../helpers/native-test-program.js';

test("berth-vmmon: the bulk channel disk's slots", () => {
  assert.deepEqual(nativeTestLines('bulk-slots'), [
    'ok: the channel is idle until the guest says BULK_READY',
    'ok: BULK_READY makes it active',
    "ok: a session's stdin goes into free slots, named by BULK_IN (seq = slot)",
    'ok: each slot holds its bytes at slot x 1 MiB',
    'ok: with every slot held, input goes inline (a stalled session cannot block the rest)',
    'ok: a DONE from another session frees nothing',
    'ok: a DONE frees its slot and punches it out of the file',
    'ok: a freed slot is used again',
    "ok: a session's end frees its slots, not another's",
    'ok: an idle channel holds no pages; the disk keeps its size',
  ]);
});
