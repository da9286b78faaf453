/** Entity ids appear in MQTT topics, file names and URLs: a conservative alphabet (validation, and the hand-checked paths). */
export const ENTITY_ID = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/;
