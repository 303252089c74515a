const ADJECTIVES = [
  'amazing', 'bold', 'brave', 'bright', 'calm', 'capable', 'casual', 'clean', 'clever', 'crisp',
  'curious', 'dapper', 'delicate', 'eager', 'elegant', 'fearless', 'funny', 'gentle', 'glamorous', 'gregarious',
  'handsome', 'honest', 'hungry', 'intelligent', 'judicious', 'kindly', 'languid', 'likeable', 'lively', 'loud',
  'luminous', 'lyrical', 'magnificent', 'merciful', 'nimble', 'orderly', 'patient', 'placid', 'polite', 'quiet',
  'rebellious', 'resilient', 'rogue', 'salty', 'sassy', 'shivering', 'silent', 'skillful', 'smiling', 'sneaky',
  'spiffy', 'stately', 'suave', 'sunny', 'swift', 'thoughtful', 'tranquil', 'unique', 'valuable', 'vaunted',
  'victorious', 'welcoming', 'whimsical', 'wise', 'youthful', 'zealous',
] as const

const NOUNS = [
  'ant', 'ape', 'asp', 'auk', 'bass', 'bat', 'bear', 'bee', 'bird', 'boar', 'bug', 'calf', 'carp', 'cat',
  'chimp', 'cod', 'colt', 'conch', 'cow', 'crab', 'crane', 'croc', 'crow', 'cub', 'deer', 'doe', 'dog',
  'dolphin', 'donkey', 'dove', 'duck', 'eel', 'elk', 'fawn', 'finch', 'fish', 'flea', 'fly', 'foal', 'fowl',
  'fox', 'frog', 'gnat', 'gnu', 'goat', 'goose', 'grouse', 'grub', 'gull', 'hare', 'hawk', 'hen', 'hog',
  'horse', 'hound', 'jay', 'kit', 'kite', 'koi', 'lamb', 'lark', 'loon', 'lynx', 'mare', 'midge', 'mink',
  'mole', 'moose', 'moth', 'mouse', 'mule', 'newt', 'owl', 'ox', 'panda', 'penguin', 'perch', 'pig', 'pug',
  'quail', 'ram', 'rat', 'ray', 'robin', 'roo', 'rook', 'seal', 'shad', 'shark', 'sheep', 'shoat', 'shrew',
  'shrike', 'shrimp', 'skink', 'skunk', 'sloth', 'slug', 'smelt', 'snail', 'snake', 'snipe', 'sow', 'sponge',
  'squid', 'squirrel', 'stag', 'steed', 'stoat', 'stork', 'swan', 'tern', 'toad', 'trout', 'turtle', 'vole',
  'wasp', 'whale', 'wolf', 'worm', 'wren', 'yak', 'zebra',
] as const

/**
 * A human-friendly run name in MLflow's style, `adjective-noun-123`, for runs created without one.
 * `random` returns numbers in [0, 1); tests pass a seeded one.
 */
export function generateRunName(random: () => number = Math.random): string {
  const pick = <T>(items: readonly T[]): T => items[Math.min(items.length - 1, Math.floor(random() * items.length))]!
  return `${pick(ADJECTIVES)}-${pick(NOUNS)}-${Math.min(999, Math.floor(random() * 1000))}`
}
