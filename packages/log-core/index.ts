export { serialize, serializeArgs, nodeSummary, DEFAULT_SERIALIZE_LIMITS, type SerializeLimits } from './serialize';
export { parseStack, callerFrame, ownFile, formatFrames, mapStackText, stackFiles, type StackFrame } from './call-site';
export { createEntryBuffer, type Droppable, type EntryBuffer } from './buffer';
