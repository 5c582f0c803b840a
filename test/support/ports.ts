export { freePort } from "@gantry/hub";
