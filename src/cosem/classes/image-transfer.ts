/** Class 18 "Image transfer", version 0 (IEC 62056-6-2). */
import { defineClass, LOGICAL_NAME } from '../model.ts';

export const ImageTransferClass = defineClass({
  classId: 18,
  version: 0,
  name: 'image_transfer',
  attributes: [
    LOGICAL_NAME,
    { id: 2, name: 'image_block_size', type: 'double-long-unsigned', access: 'read' },
    { id: 3, name: 'image_transferred_blocks_status', type: 'bit-string', access: 'read' },
    { id: 4, name: 'image_first_not_transferred_block_number', type: 'double-long-unsigned', access: 'read' },
    { id: 5, name: 'image_transfer_enabled', type: 'boolean', access: 'read-write' },
    { id: 6, name: 'image_transfer_status', type: 'enum', access: 'read' },
    { id: 7, name: 'image_to_activate_info', type: 'array', access: 'read', description: 'array of structure{size, identification, signature}' },
  ],
  methods: [
    { id: 1, name: 'image_transfer_initiate', parameter: 'structure', description: 'structure{image_identifier octet-string, image_size double-long-unsigned}' },
    { id: 2, name: 'image_block_transfer', parameter: 'structure', description: 'structure{image_block_number double-long-unsigned, image_block_value octet-string}' },
    { id: 3, name: 'image_verify', parameter: 'integer' },
    { id: 4, name: 'image_activate', parameter: 'integer' },
  ],
});
