/** Interface names MultiNIC hands out. Linux limits names to 15 bytes, so N has at most 7 digits. */
export const INTERFACE_NAME = /^multinic(0|[1-9]\d{0,6})$/;
